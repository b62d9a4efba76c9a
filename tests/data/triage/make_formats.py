"""Generate the per-format log fixtures (seeded, so re-running gives identical files).

    python tests/data/triage/make_formats.py

One fixture (or a few) per log format the triage reads, each shaped like the
trainer or service writes it, quirks included, into ``formats/``; and
``formats/manifest.json``: what was planted (steps, values, line numbers),
which the tests read instead of trusting the code under test.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent / "formats"
MANIFEST: dict = {}


def _w(name: str, text: str) -> Path:
    path = HERE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _hms(sec: float) -> str:
    sec = int(sec)
    return f"{sec // 3600}:{sec % 3600 // 60:02d}:{sec % 60:02d}"


def llamafactory() -> None:
    """LLaMA-Factory's LogCallback: json.dumps of a dict with every falsy value removed, one line per log event."""
    rng = random.Random(10)
    total, logging, every = 1500, 10, 250
    lines: list[str] = []
    evals: list[tuple[int, float]] = []

    def line(d: dict) -> str:
        return json.dumps({k: v for k, v in d.items() if v})

    for s in range(logging, total + 1, logging):
        t = 2.1 * s
        base = {"current_steps": s, "total_steps": total}
        loss = round((0.62 + 1.3 * math.exp(-s / 200)) * (1 + rng.gauss(0, 0.02)), 4)
        lr = 5e-5 * 0.5 * (1 + math.cos(math.pi * s / total))
        lines.append(line({**base, "loss": loss, "lr": lr, "epoch": round(3 * s / total, 2),
                           "percentage": round(100 * s / total, 2), "elapsed_time": _hms(t),
                           "remaining_time": _hms(2.1 * (total - s))}))
        if s % every == 0:
            ev = round(0.70 + 0.9 * math.exp(-s / 300), 4)
            evals.append((s, ev))
            lines.append(line({**base, "eval_loss": ev, "epoch": round(3 * s / total, 2),
                               "percentage": round(100 * s / total, 2), "elapsed_time": _hms(t + 30),
                               "remaining_time": _hms(2.1 * (total - s))}))
    # The end-of-training summary event: log_history[-1] has no loss, lr or eval_loss.
    lines.append(line({"current_steps": total, "total_steps": total, "epoch": 3.0, "percentage": 100.0,
                       "elapsed_time": _hms(2.1 * total + 60), "remaining_time": "0:00:00"}))
    # Two nodes on a shared disk both wrote lines 41..45 (steps 370..410 region): exact repeats.
    dup = lines[40:45]
    lines = lines[:45] + dup + lines[45:]
    _w("llamafactory/trainer_log.jsonl", "\n".join(lines) + "\n")
    best = min(evals, key=lambda t: t[1])
    MANIFEST["llamafactory"] = {"train_points": total // logging, "eval_points": len(evals), "repeated_lines": 5,
                                "best_step": best[0], "best_eval_loss": best[1], "total_steps": total,
                                "first_eval_line": next(i + 1 for i, ln in enumerate(lines) if "eval_loss" in ln)}

    # Masked labels: every loss was 0.0, so LLaMA-Factory dropped the key from every training line.
    z = []
    for s in range(5, 61, 5):
        z.append(line({"current_steps": s, "total_steps": 60, "loss": 0.0, "lr": 2e-5, "epoch": round(s / 60, 2),
                       "percentage": round(100 * s / 60, 2), "elapsed_time": _hms(s), "remaining_time": _hms(60 - s)}))
    _w("llamafactory_zero/trainer_log.jsonl", "\n".join(z) + "\n")
    MANIFEST["llamafactory_zero"] = {"train_points": 12, "first_zero_step": 5}

    # A run restarted into the same folder: steps 10..100 of the first try, then 10..300 of the second.
    r = []
    for run, last in ((1, 100), (2, 300)):
        for s in range(10, last + 1, 10):
            r.append(line({"current_steps": s, "total_steps": 300, "loss": round(1.5 - 0.002 * s + 0.1 * run, 4),
                           "lr": 1e-4, "epoch": round(s / 300, 2), "percentage": round(100 * s / 300, 2),
                           "elapsed_time": _hms(s), "remaining_time": _hms(300 - s)}))
    _w("llamafactory_restart/trainer_log.jsonl", "\n".join(r) + "\n")
    MANIFEST["llamafactory_restart"] = {"train_points": 30, "first_kept_line": 11, "first_kept_loss": round(1.5 - 0.02 + 0.2, 4)}


def hf_single_zero() -> None:
    """A trainer_state.json whose only logged training loss is exactly 0.0 (a masked-label bug, short run)."""
    hist = [{"epoch": 1.0, "grad_norm": 0.0, "learning_rate": 2e-05, "loss": 0.0, "step": 10},
            {"epoch": 1.0, "step": 10, "total_flos": 1.1e14, "train_loss": 0.0, "train_runtime": 21.3,
             "train_samples_per_second": 3.7, "train_steps_per_second": 0.47}]
    state = {"best_metric": None, "best_model_checkpoint": None, "epoch": 1.0, "eval_steps": 500, "global_step": 10,
             "is_hyper_param_search": False, "is_local_process_zero": True, "is_world_process_zero": True,
             "log_history": hist, "logging_steps": 10, "max_steps": 10, "num_train_epochs": 1,
             "save_steps": 500, "total_flos": 1.1e14, "train_batch_size": 8, "trial_name": None, "trial_params": None}
    _w("hf_single_zero/trainer_state.json", json.dumps(state, indent=2, sort_keys=True) + "\n")
    MANIFEST["hf_single_zero"] = {"step": 10}


def _state(hist: list[dict], *, steps: int, epochs: float, logging: int, eval_steps: int) -> str:
    hist = hist + [{"epoch": float(epochs), "step": steps, "total_flos": 3.2e16, "train_loss": 0.7,
                    "train_runtime": 1812.4, "train_samples_per_second": 9.6, "train_steps_per_second": 0.3}]
    state = {"best_global_step": None, "best_metric": None, "best_model_checkpoint": None, "epoch": float(epochs),
             "eval_steps": eval_steps, "global_step": steps, "is_hyper_param_search": False,
             "is_local_process_zero": True, "is_world_process_zero": True, "log_history": hist,
             "logging_steps": logging, "max_steps": steps, "num_input_tokens_seen": 0,
             "num_train_epochs": int(math.ceil(epochs)), "save_steps": eval_steps, "total_flos": 3.2e16,
             "train_batch_size": 4, "trial_name": None, "trial_params": None}
    return json.dumps(state, indent=2, sort_keys=True) + "\n"


def healthy_real_shapes() -> None:
    """Healthy runs shaped like public ones that used to raise false alarms.

    * ``hf_warmup_lr``: ``logging_first_step`` logs step 1 at 14.8 before learning starts; the gradient norm
      is large at steps 1 and 5 inside a 30-step warm-up; a QLoRA-style 2e-4 learning rate; eval loss (and
      its perplexity) falls to the very last evaluation.
    * ``hf_ppl_wobble``: eval loss ends 1.2% above its minimum (inside the noise floor) and the Trainer logged
      ``eval_perplexity`` = exp(eval_loss) next to it, which turns that wobble into a 4% swing.
    * ``hf_speech``: a speech run (Whisper-style, dropout and SpecAugment during training) whose eval loss
      sits below its training loss throughout; WER falls.
    """
    rng = random.Random(11)
    steps, warm = 600, 30
    hist = []
    for s in [1] + list(range(5, steps + 1, 5)):
        lr = 2e-4 * min(1.0, s / warm) * (1 if s <= warm else 1 - (s - warm) / (steps - warm))
        loss = 14.8 if s == 1 else round(0.45 + 0.35 * math.exp(-s / 150) + rng.gauss(0, 0.03), 4)
        g = {1: 61.2, 5: 38.4}.get(s, round(abs(rng.gauss(0.8, 0.1)), 4))
        hist.append({"epoch": round(2 * s / steps, 4), "grad_norm": g, "learning_rate": lr, "loss": loss, "step": s})
        if s % 100 == 0:
            ev = round(0.55 + 0.30 * math.exp(-s / 200), 4)
            hist.append({"epoch": round(2 * s / steps, 4), "eval_loss": ev, "eval_perplexity": math.exp(ev),
                         "eval_runtime": 31.2, "eval_samples_per_second": 16.1, "eval_steps_per_second": 2.0, "step": s})
    _w("hf_warmup_lr/trainer_state.json", _state(hist, steps=steps, epochs=2, logging=5, eval_steps=100))
    MANIFEST["hf_warmup_lr"] = {"first_loss": 14.8, "warmup_steps": warm, "lr": 2e-4, "grad_spike_steps": [1, 5],
                                "best_step": steps}

    hist = []
    evs = [3.40, 3.10, 2.95, 2.90, 2.91, 2.935]  # min 2.90, ends +1.2%; one eval per 100 steps
    for i, s in enumerate(range(10, 601, 10)):
        hist.append({"epoch": round(s / 600, 4), "grad_norm": round(abs(rng.gauss(1.1, 0.15)), 4),
                     "learning_rate": 5e-5 * (1 - s / 600), "loss": round(2.7 + 1.2 * math.exp(-s / 200) + rng.gauss(0, 0.04), 4),
                     "step": s})
        if s % 100 == 0:
            ev = evs[s // 100 - 1]
            hist.append({"epoch": round(s / 600, 4), "eval_loss": ev, "eval_perplexity": math.exp(ev),
                         "eval_runtime": 12.0, "eval_samples_per_second": 40.0, "eval_steps_per_second": 5.0, "step": s})
    _w("hf_ppl_wobble/trainer_state.json", _state(hist, steps=600, epochs=1, logging=10, eval_steps=100))
    MANIFEST["hf_ppl_wobble"] = {"eval_min": 2.90, "eval_end": 2.935,
                                 "eval_rise_pct": round(100 * (2.935 - 2.90) / 2.90, 2),
                                 "ppl_rise_pct": round(100 * (math.exp(2.935) - math.exp(2.90)) / math.exp(2.90), 2)}

    hist = []
    for s in range(25, 2001, 25):
        hist.append({"epoch": round(4 * s / 2000, 4), "grad_norm": round(abs(rng.gauss(3.0, 0.4)), 4),
                     "learning_rate": 1e-5 * min(1.0, s / 200), "loss": round(0.42 + 0.9 * math.exp(-s / 300) + rng.gauss(0, 0.02), 4),
                     "step": s})
        if s % 250 == 0:
            hist.append({"epoch": round(4 * s / 2000, 4), "eval_loss": round(0.30 + 0.6 * math.exp(-s / 300), 4),
                         "eval_wer": round(0.14 + 0.2 * math.exp(-s / 400), 4), "eval_runtime": 210.0,
                         "eval_samples_per_second": 3.1, "eval_steps_per_second": 0.2, "step": s})
    _w("hf_speech/trainer_state.json", _state(hist, steps=2000, epochs=4, logging=25, eval_steps=250))
    MANIFEST["hf_speech"] = {"epochs": 4}


def model_card() -> None:
    """The card the Trainer's push_to_hub writes: hyperparameters, then '### Training results' and a table."""
    rows = [("No log", 1.0, 125, 0.9121, 0.6612), (0.8843, 2.0, 250, 0.7012, 0.7301), (0.6011, 3.0, 375, 0.6420, 0.7588),
            (0.4519, 4.0, 500, 0.6583, 0.7562), (0.3302, 5.0, 625, 0.7011, 0.7490)]
    body = ["---", "license: apache-2.0", "base_model: distilbert/distilbert-base-uncased", "tags:", "- generated_from_trainer",
            "metrics:", "- accuracy", "model-index:", "- name: intent-clf", "  results: []", "---", "",
            "<!-- This model card has been generated automatically according to the information the Trainer had access to. You",
            "should probably proofread and complete it, then remove this comment. -->", "", "# intent-clf", "",
            "This model is a fine-tuned version of [distilbert/distilbert-base-uncased](https://huggingface.co/distilbert/distilbert-base-uncased) on an unknown dataset.",
            "It achieves the following results on the evaluation set:", "- Loss: 0.7011", "- Accuracy: 0.7490", "",
            "## Training procedure", "", "### Training hyperparameters", "", "The following hyperparameters were used during training:",
            "- learning_rate: 5e-05", "- train_batch_size: 16", "- eval_batch_size: 16", "- seed: 42",
            "- optimizer: Use OptimizerNames.ADAMW_TORCH with betas=(0.9,0.999) and epsilon=1e-08 and optimizer_args=No additional optimizer arguments",
            "- lr_scheduler_type: linear", "- num_epochs: 5", "", "### Training results", "",
            "| Training Loss | Epoch | Step | Validation Loss | Accuracy |",
            "|:-------------:|:-----:|:----:|:---------------:|:--------:|"]
    first = len(body) + 1
    for tl, ep, st, vl, acc in rows:
        body.append(f"| {tl!s:<13} | {ep:<5} | {st:<4} | {vl:<15} | {acc:<8} |")
    body += ["", "", "### Framework versions", "", "- Transformers 4.46.2", "- Pytorch 2.5.1+cu121", "- Datasets 3.1.0",
             "- Tokenizers 0.20.3", ""]
    _w("model_card/README.md", "\n".join(body))
    MANIFEST["model_card"] = {"eval_points": 5, "train_points": 4, "best_step": 375, "best_eval_loss": 0.6420,
                              "best_line": first + 2, "accuracy_best_step": 375}


def mlx() -> None:
    """mlx_lm.lora's console: a validation at iteration 1, train lines every 10, validation every 50."""
    rng = random.Random(12)
    out = ["Loading pretrained model", "Fetching 7 files: 100%|##########| 7/7 [00:00<00:00, 71089.90it/s]",
           "Loading datasets", "Training", "Trainable parameters: 0.071% (5.243M/7248.024M)", "Starting training..., iters: 300"]
    vals = {}
    for it in range(1, 301):
        if it == 1 or it % 50 == 0:
            v = round(1.2 + 1.5 * math.exp(-it / 80), 3)
            vals[it] = v
            out.append(f"Iter {it}: Val loss {v:.3f}, Val took {11 + rng.random():.3f}s")
        if it % 10 == 0:
            tl = 1.0 + 1.6 * math.exp(-it / 70) + rng.gauss(0, 0.03)
            out.append(f"Iter {it}: Train loss {tl:.3f}, Learning Rate {1e-5:.3e}, It/sec {0.5 + rng.random() / 10:.3f}, "
                       f"Tokens/sec {190 + rng.random() * 20:.3f}, Trained Tokens {it * 380}, Peak mem 7.912 GB")
        if it % 100 == 0:
            out.append(f"Iter {it}: Saved adapter weights to adapters/adapters.safetensors and adapters/{it:07d}_adapters.safetensors.")
    out.append("Saved final weights to adapters/adapters.safetensors.")
    _w("mlx/train.log", "\n".join(out) + "\n")
    MANIFEST["mlx"] = {"train_points": 30, "eval_points": len(vals), "first_eval_step": 1, "best_step": 300,
                       "lr": 1e-5}


def torchtune() -> None:
    """torchtune's DiskLogger: 'Step N | name:value name:value ' (a trailing space), one line per log step."""
    rng = random.Random(13)
    out = []
    for st in range(1, 201):
        loss = 1.1 + 0.9 * math.exp(-st / 40) + rng.gauss(0, 0.04)
        out.append(f"Step {st} | loss:{loss} lr:2e-05 tokens_per_second_per_gpu:{1500 + rng.random() * 100} "
                   f"peak_memory_active:17.52 peak_memory_alloc:17.52 peak_memory_reserved:19.81 ")
    _w("torchtune/log_1733130000.txt", "\n".join(out) + "\n")
    MANIFEST["torchtune"] = {"train_points": 200, "first_step": 1}


def bedrock() -> None:
    """Bedrock's two CSVs in the job's output folder; step_number restarts each epoch."""
    # Columns as Bedrock's guide to a job's results lists them: step_number counts from 0; the validation file
    # has validation_loss where the training file has training_loss. Here step_number restarts each epoch.
    tr = ["step_number,epoch_number,training_loss,perplexity"]
    va = ["step_number,epoch_number,validation_loss,perplexity"]
    per = 40
    for ep in range(1, 4):
        for st in range(per):
            g = (ep - 1) * per + st
            loss = 0.9 + 1.2 * math.exp(-g / 30)
            tr.append(f"{st},{ep},{loss:.6f},{math.exp(loss):.6f}")
        v = 1.0 + 0.9 * math.exp(-ep * per / 40)
        va.append(f"{per - 1},{ep},{v:.6f},{math.exp(v):.6f}")
    _w("bedrock/step_wise_training_metrics.csv", "\n".join(tr) + "\n")
    _w("bedrock/validation_metrics.csv", "\n".join(va) + "\n")
    # Cumulative: epoch e's step s is (e - 1) * per + s, so 0 .. 3 * per - 1; each validation at its epoch's last step.
    MANIFEST["bedrock"] = {"train_points": 3 * per, "eval_points": 3, "last_step": 3 * per - 1,
                           "best_step": 3 * per - 1, "eval_steps": [per - 1, 2 * per - 1, 3 * per - 1]}


def together() -> None:
    """Together AI's list-metrics --json: a list of flat objects, training and eval steps apart, both keyed by
    train/global_step (the CLI prints it with two-space indentation); and the job's event log."""
    rows = []
    t0 = 1733130000 * 10**9
    for st in range(1, 61):
        rows.append({"timestamp": t0 + st * 6 * 10**10, "train/global_step": st, "train/epoch": round(st / 20, 2),
                     "train/loss": round(1.9 * math.exp(-st / 15) + 0.7 + 0.02 * math.sin(st), 4),
                     "train/grad_norm": round(1.2 - 0.01 * st, 3), "train/learning_rate": 1e-5 * (1 - st / 60)})
        if st % 20 == 0:  # n_evals=3: an eval object after the training object of the same step
            rows.append({"timestamp": t0 + st * 6 * 10**10 + 10**9, "train/global_step": st,
                         "train/epoch": round(st / 20, 2), "eval/loss": {20: 1.12, 40: 0.98, 60: 1.01}[st]})
    text = json.dumps(rows, indent=2) + "\n"
    _w("together/metrics.json", text)
    lines = text.split("\n")
    starts = [i + 1 for i, ln in enumerate(lines) if ln == "  {"]
    evals = [i for i, r in enumerate(rows) if "eval/loss" in r]
    MANIFEST["together"] = {"train_points": 60, "eval_points": 3, "best_step": 40, "best_line": starts[evals[1]]}
    events = {"data": [
        {"object": "fine-tune-event", "created_at": "2024-12-02T09:00:00.000Z", "level": None, "message":
         "Fine tune request created", "type": "job_pending", "param_count": 0, "token_count": 0, "total_steps": 0,
         "wandb_url": "", "step": 0, "checkpoint_path": "", "model_path": "", "training_offset": 0, "hash": ""},
        {"object": "fine-tune-event", "created_at": "2024-12-02T09:05:00.000Z", "level": None, "message":
         "Training started for model meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", "type": "training_start",
         "param_count": 8030261248, "token_count": 1200000, "total_steps": 60, "wandb_url": "", "step": 0,
         "checkpoint_path": "", "model_path": "", "training_offset": 0, "hash": ""}]}
    _w("together/events.json", json.dumps(events, indent=2) + "\n")


def wandb() -> None:
    """A W&B chart export: Step, then '<run> - train/loss' with its __MIN/__MAX band, for two runs."""
    rows = ['"Step","lively-sun-12 - train/loss","lively-sun-12 - train/loss__MIN","lively-sun-12 - train/loss__MAX",'
            '"bold-fog-11 - train/loss","bold-fog-11 - train/loss__MIN","bold-fog-11 - train/loss__MAX"']
    for st in range(10, 501, 10):
        a = 0.8 + 1.0 * math.exp(-st / 120)
        b = "" if st > 300 else f"{0.9 + 1.0 * math.exp(-st / 100):.4f}"
        rows.append(f'{st},{a:.4f},{a:.4f},{a:.4f},{b},{b},{b}')
    _w("wandb/export.csv", "\n".join(rows) + "\n")
    MANIFEST["wandb"] = {"run": "lively-sun-12", "other_run": "bold-fog-11", "train_points": 50}
    # A W&B run folder: files/output.log is the console (Trainer dict lines), wandb-summary.json the last values.
    out = ["wandb: Tracking run with wandb version 0.18.7", "  0%|          | 0/200 [00:00<?, ?it/s]"]
    for i in range(1, 21):
        out.append(f"{{'loss': {1.5 - 0.03 * i:.4f}, 'grad_norm': 1.0{i:02d}, 'learning_rate': {2e-5 * (1 - i / 20):.3e}, 'epoch': {i / 10:.2f}}}")
    _w("wandb_run/files/output.log", "\n".join(out) + "\n")
    _w("wandb_run/files/wandb-summary.json", json.dumps({"_runtime": 512.1, "_step": 20, "_timestamp": 1733130512.2,
                                                          "train/epoch": 2.0, "train/global_step": 200,
                                                          "train/loss": 0.9}) + "\n")
    MANIFEST["wandb_run"] = {"train_points": 20}


def keras() -> None:
    """Keras CSVLogger: 'epoch' then the metric names sorted; epochs counted from 0."""
    rows = ["epoch,accuracy,loss,val_accuracy,val_loss"]
    vals = [(0.61, 1.10, 0.65, 0.98), (0.72, 0.81, 0.70, 0.86), (0.79, 0.62, 0.72, 0.83), (0.85, 0.47, 0.72, 0.86),
            (0.89, 0.35, 0.71, 0.93), (0.92, 0.26, 0.70, 1.01)]
    for ep, (a, l, va, vl) in enumerate(vals):
        rows.append(f"{ep},{a},{l},{va},{vl}")
    _w("keras/training.csv", "\n".join(rows) + "\n")
    MANIFEST["keras"] = {"epochs": 6, "best_epoch": 3, "best_val_loss": 0.83}


def mistral() -> None:
    """A Mistral fine-tuning job as the API returns it: checkpoints newest first."""
    cps = []
    for st in (100, 200, 300, 400, 500):
        cps.append({"metrics": {"train_loss": round(1.3 - 0.001 * st, 4), "valid_loss": round(1.25 - 0.0008 * st + (0.0015 * (st - 300) if st > 300 else 0), 4),
                                "valid_mean_token_accuracy": round(0.6 + 0.0002 * st, 4)},
                    "step_number": st, "created_at": 1733130000 + st})
    job = {"id": "ftjob-1a2b3c", "auto_start": True, "model": "open-mistral-7b", "status": "SUCCESS",
           "created_at": 1733129000, "modified_at": 1733131000, "training_files": ["file-abc"],
           "hyperparameters": {"training_steps": 500, "learning_rate": 0.0001}, "fine_tuned_model": "ft:open-mistral-7b:1a2b3c",
           "object": "job", "job_type": "FT", "events": [], "checkpoints": list(reversed(cps))}
    _w("mistral/job.json", json.dumps(job, indent=2) + "\n")
    MANIFEST["mistral"] = {"eval_points": 5, "best_step": 300}


def tensorboard() -> None:
    """What PyTorch's SummaryWriter writes for the HF Trainer: simple_value scalars under train/ and eval/ tags."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:  # the committed fixture stays; regenerate with the [tensorboard] extra installed
        return
    d = HERE / "tensorboard" / "runs" / "Dec02_10-00-00_host"
    MANIFEST["tensorboard"] = {"train_points": 40, "eval_points": 4, "best_step": 200}
    if any(d.glob("events.out.tfevents.*")):
        return  # the writer stamps the file-version record with the time: keep the committed file
    d.mkdir(parents=True, exist_ok=True)
    w = EventFileWriter(str(d), filename_suffix="")

    def scalar(tag, value, step):
        s = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
        w.add_event(event_pb2.Event(wall_time=1733133600.0 + step, step=step, summary=s))

    for st in range(10, 401, 10):
        scalar("train/loss", 0.7 + 1.1 * math.exp(-st / 90), st)
        scalar("train/learning_rate", 2e-5 * (1 - st / 400), st)
        scalar("train/grad_norm", 1.0 + 0.01 * st, st)
        scalar("train/epoch", st / 200, st)
        if st % 100 == 0:
            scalar("eval/loss", 0.9 + 0.5 * math.exp(-st / 150) + (0.002 * (st - 200) if st > 200 else 0), st)
            scalar("eval/runtime", 12.5, st)
    w.close()
    f = next(d.glob("events.out.tfevents.*"))
    f.rename(d / "events.out.tfevents.1733133600.host.4242.0")
    MANIFEST["tensorboard"] = {"train_points": 40, "eval_points": 4, "best_step": 200}


def folder() -> None:
    """An HF output folder: a stale top-level state (an earlier, shorter run), two checkpoints, and a model card."""
    import shutil

    base = HERE / "hf_output"
    if base.exists():
        shutil.rmtree(base)
    def hist(n):
        h = [{"epoch": round(s / 300, 4), "grad_norm": 1.0, "learning_rate": 2e-5, "loss": round(1.2 - 0.001 * s, 4), "step": s}
             for s in range(10, n + 1, 10)]
        return h
    _w("hf_output/trainer_state.json", _state(hist(100), steps=100, epochs=1, logging=10, eval_steps=100))
    _w("hf_output/checkpoint-200/trainer_state.json", _state(hist(200), steps=200, epochs=1, logging=10, eval_steps=100))
    _w("hf_output/checkpoint-300/trainer_state.json", _state(hist(300), steps=300, epochs=1, logging=10, eval_steps=100))
    MANIFEST["hf_output"] = {"used": "checkpoint-300/trainer_state.json", "last_step": 300, "stale": "trainer_state.json"}


_TOPICS = ["refund", "invoice", "password", "shipping", "upgrade", "cancel", "export", "billing", "login", "api key",
           "webhook", "quota", "backup", "region", "latency", "SSO", "audit log", "2FA", "domain", "storage"]
_VERBS = ["change", "reset", "check", "move", "download", "enable", "disable", "extend", "verify", "renew"]


def _q(i: int) -> tuple[str, str]:
    t, v = _TOPICS[i % len(_TOPICS)], _VERBS[(i // len(_TOPICS)) % len(_VERBS)]
    return (f"How do I {v} the {t} for workspace {100 + i} (ticket {7000 + 13 * i})?",
            f"Open Settings, pick {t}, then choose {v}; workspace {100 + i} applies it within {i % 9 + 1} minutes.")


def datasets() -> None:
    """Dataset shapes beyond chat/alpaca: each as its source writes it."""
    n = 30
    rows = []
    for i in range(n):  # TRL implicit prompt: the whole conversation in chosen and rejected, no 'prompt' key
        q, a = _q(i)
        if 15 <= i < 20:  # the same reply to a different question: similar outputs, different inputs
            a = _q(i - 15)[1].replace("minutes", "min")
        conv = [{"role": "user", "content": q}]
        rows.append(json.dumps({"chosen": conv + [{"role": "assistant", "content": a}],
                                "rejected": conv + [{"role": "assistant", "content": "I cannot help with that."}]}))
    _w("datasets/preference_implicit.jsonl", "\n".join(rows) + "\n")
    rows = []
    for i in range(n):  # Dolly 15k: instruction, context, response, category
        q, a = _q(i)
        rows.append(json.dumps({"instruction": q, "context": "" if i % 3 else f"Workspace {100 + i} is on the Pro plan.",
                                "response": a, "category": "closed_qa" if i % 3 == 0 else "open_qa"}))
    _w("datasets/dolly.jsonl", "\n".join(rows) + "\n")
    rows = []
    for i in range(n):  # SQuAD-like rows: question, context, answers {text: [...], answer_start: [...]}
        q, a = _q(i)
        rows.append(json.dumps({"id": f"q{i}", "title": "Help center", "context": f"{a} This applies to every plan.",
                                "question": q, "answers": {"text": [a.split(";")[0]], "answer_start": [0]}}))
    _w("datasets/squad.jsonl", "\n".join(rows) + "\n")
    rows = []
    for i in range(n):
        q, a = _q(i)
        rows.append(json.dumps({"input": q, "output": a}))
    _w("datasets/input_output.jsonl", "\n".join(rows) + "\n")
    rows = []
    for i in range(n):  # Vertex AI Gemini tuning: contents with role user|model and parts[].text
        q, a = _q(i)
        rows.append(json.dumps({"systemInstruction": {"role": "system", "parts": [{"text": "You are Acme's support assistant."}]},
                                "contents": [{"role": "user", "parts": [{"text": q}]},
                                             {"role": "model", "parts": [{"text": a}]}]}))
    _w("datasets/gemini.jsonl", "\n".join(rows) + "\n")
    rows = []
    for i in range(n):
        q, a = _q(i)
        rows.append(json.dumps({"ticket_id": 7000 + i, "customer_question": q, "agent_reply": a}))
    _w("datasets/custom_keys.jsonl", "\n".join(rows) + "\n")
    MANIFEST["datasets"] = {"examples": n, "fields": "prompt=customer_question,completion=agent_reply",
                            "same_reply_other_question": 5}


def main() -> None:
    datasets()
    model_card()
    mlx()
    torchtune()
    bedrock()
    wandb()
    keras()
    mistral()
    together()
    tensorboard()
    folder()
    llamafactory()
    hf_single_zero()
    healthy_real_shapes()
    _w("manifest.json", json.dumps(MANIFEST, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
