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


def main() -> None:
    llamafactory()
    hf_single_zero()
    healthy_real_shapes()
    _w("manifest.json", json.dumps(MANIFEST, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
