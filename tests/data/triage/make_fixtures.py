"""Generate the triage fixtures (seeded, so re-running gives identical files).

    python tests/data/triage/make_fixtures.py

Writes training logs shaped exactly like each trainer writes them, datasets in
every supported format with planted problems, probe results, deliberately
broken files, and ``manifest.json``: the line numbers of everything planted,
which the tests read instead of trusting the code under test.
"""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOGS = HERE / "logs"
DATA = HERE / "datasets"
BAD = HERE / "broken"
MANIFEST: dict = {}


def _w(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- logs
def trainer_state(rows: list[dict], *, steps: int, epochs: float, logging_steps: int, eval_steps: int) -> str:
    """The file HF Trainer writes: dataclass as dict, sort_keys, indent=2, bare NaN allowed."""
    last = rows[-1]
    rows = rows + [{"epoch": float(epochs), "step": steps, "total_flos": 1.2345e16, "train_loss": 0.9,
                    "train_runtime": 812.4, "train_samples_per_second": 23.6, "train_steps_per_second": 0.74}]
    state = {
        "best_global_step": None, "best_metric": None, "best_model_checkpoint": None, "epoch": float(epochs),
        "eval_steps": eval_steps, "global_step": steps, "is_hyper_param_search": False,
        "is_local_process_zero": True, "is_world_process_zero": True, "log_history": rows,
        "logging_steps": logging_steps, "max_steps": steps, "num_input_tokens_seen": 0,
        "num_train_epochs": int(math.ceil(epochs)), "save_steps": eval_steps,
        "stateful_callbacks": {"TrainerControl": {"args": {"should_epoch_stop": False, "should_evaluate": False,
                                                           "should_log": False, "should_save": True,
                                                           "should_training_stop": True}, "attributes": {}}},
        "total_flos": 1.2345e16, "train_batch_size": 8, "trial_name": None, "trial_params": None,
    }
    del last
    return json.dumps(state, indent=2, sort_keys=True) + "\n"


def hf_rows(rng: random.Random, *, steps: int, epochs: float, lr0: float, logging: int, eval_every: int,
            train_fn, eval_fns: dict, noise: float = 0.03, grad_fn=None, metrics: dict | None = None) -> list[dict]:
    rows = []
    for s in range(logging, steps + 1, logging):
        ep = round(epochs * s / steps, 4)
        loss = train_fn(s) * (1 + rng.gauss(0, noise))
        g = grad_fn(s) if grad_fn else abs(rng.gauss(1.0, 0.2)) + 0.3
        rows.append({"epoch": ep, "grad_norm": g, "learning_rate": lr0 * (1 - (s - logging) / steps), "loss": round(loss, 4)
                     if math.isfinite(loss) else loss, "step": s})
        if s % eval_every == 0:
            row = {"epoch": ep, "step": s}
            for key, fn in eval_fns.items():
                row[key] = round(fn(s), 4)
            for key, fn in (metrics or {}).items():
                row[key] = round(fn(s), 4)
            row.update({"eval_runtime": round(12 + rng.random(), 3), "eval_samples_per_second": 41.2,
                        "eval_steps_per_second": 5.15})
            rows.append(row)
    return rows


def make_logs() -> None:
    rng = random.Random(1)
    m = MANIFEST.setdefault("logs", {})

    # healthy: eval falls and flattens, train falls; 3 epochs; LoRA-range learning rate.
    rows = hf_rows(rng, steps=600, epochs=3, lr0=5e-5, logging=10, eval_every=100,
                   train_fn=lambda s: 0.95 + 1.1 * math.exp(-s / 150),
                   eval_fns={"eval_loss": lambda s: 1.02 + 0.6 * math.exp(-s / 140)})
    _w(LOGS / "hf_healthy" / "trainer_state.json", trainer_state(rows, steps=600, epochs=3, logging_steps=10, eval_steps=100))
    ev = [(r["step"], r["eval_loss"]) for r in rows if "eval_loss" in r]
    m["hf_healthy"] = {"best_step": min(ev, key=lambda t: t[1])[0], "best_eval_loss": min(v for _, v in ev), "epochs": 3}

    # overfitting: eval bottoms at step 300 then climbs; train keeps falling; accuracy falls after its best.
    def ov(s):
        return 1.10 + 0.5 * math.exp(-s / 90) + (0.0 if s <= 300 else 0.0009 * (s - 300))
    rows = hf_rows(rng, steps=1000, epochs=5, lr0=1e-4, logging=10, eval_every=50,
                   train_fn=lambda s: 0.15 + 1.8 * math.exp(-s / 250),
                   eval_fns={"eval_loss": ov},
                   metrics={"eval_accuracy": lambda s: 0.71 - 0.0003 * max(0, s - 300) + 0.05 * min(s, 300) / 300})
    _w(LOGS / "hf_overfit" / "trainer_state.json", trainer_state(rows, steps=1000, epochs=5, logging_steps=10, eval_steps=50))
    ev = [(r["step"], r["eval_loss"]) for r in rows if "eval_loss" in r]
    best = min(ev, key=lambda t: t[1])
    text = (LOGS / "hf_overfit" / "trainer_state.json").read_text().split("\n")
    m["hf_overfit"] = {"best_step": best[0], "best_eval_loss": best[1], "final_eval_loss": ev[-1][1], "epochs": 5,
                       "rise_pct": round(100 * (ev[-1][1] - best[1]) / best[1], 1)}

    # several eval sets (eval_<set>_loss) plus WER (lower is better): 'chat' overfits, 'squad' does not.
    rows = hf_rows(rng, steps=800, epochs=2, lr0=5e-5, logging=20, eval_every=80,
                   train_fn=lambda s: 0.5 + 1.2 * math.exp(-s / 200),
                   eval_fns={"eval_squad_loss": lambda s: 0.9 + 0.5 * math.exp(-s / 200),
                             "eval_chat_loss": lambda s: 1.0 + 0.4 * math.exp(-s / 100) + (0.0012 * (s - 320) if s > 320 else 0)},
                   metrics={"eval_chat_wer": lambda s: 0.2 + (0.0004 * (s - 320) if s > 320 else -0.0001 * (320 - s))})
    _w(LOGS / "hf_multi_eval" / "trainer_state.json", trainer_state(rows, steps=800, epochs=2, logging_steps=20, eval_steps=80))
    m["hf_multi_eval"] = {"rising_set": "chat", "steady_set": "squad", "wer_metric": "eval_chat_wer"}

    # NaN: loss and grad_norm turn NaN/Infinity at step 130 (bare tokens in the JSON); lr 1e-3.
    def nan_train(s):
        return float("nan") if s >= 130 else 1.9 - 0.003 * s
    def nan_grad(s):
        return float("inf") if s == 120 else (float("nan") if s >= 130 else 1.0 + s / 100)
    rows = hf_rows(rng, steps=200, epochs=1, lr0=1e-3, logging=10, eval_every=100,
                   train_fn=nan_train, grad_fn=nan_grad,
                   eval_fns={"eval_loss": lambda s: float("nan") if s >= 130 else 1.7})
    _w(LOGS / "hf_nan" / "trainer_state.json", trainer_state(rows, steps=200, epochs=1, logging_steps=10, eval_steps=100))
    text = (LOGS / "hf_nan" / "trainer_state.json").read_text().split("\n")
    first_nan_line = next(i + 1 for i, ln in enumerate(text) if '"grad_norm": Infinity' in ln)
    m["hf_nan"] = {"first_bad_step": 120, "nan_loss_from_step": 130, "lr": 1e-3, "grad_inf_line": first_nan_line}

    # divergence: train falls to step 200 then climbs above its start; lr 5e-4 on LoRA.
    def div(s):
        return 1.6 - 0.004 * s if s <= 200 else 0.8 + 0.012 * (s - 200)
    rows = hf_rows(rng, steps=400, epochs=2, lr0=5e-4, logging=10, eval_every=100,
                   train_fn=div, grad_fn=lambda s: 1.0 if s < 200 else 1.0 + (s - 200) / 4,
                   eval_fns={"eval_loss": lambda s: 1.5 - 0.002 * s if s <= 200 else 1.1 + 0.01 * (s - 200)})
    _w(LOGS / "hf_divergence" / "trainer_state.json", trainer_state(rows, steps=400, epochs=2, logging_steps=10, eval_steps=100))
    m["hf_divergence"] = {"min_step_about": 200, "lr": 5e-4}

    # no eval at all
    rows = [r for r in hf_rows(rng, steps=300, epochs=1, lr0=2e-5, logging=10, eval_every=10_000,
                               train_fn=lambda s: 0.8 + 1.0 * math.exp(-s / 100), eval_fns={})]
    _w(LOGS / "hf_no_eval" / "trainer_state.json", trainer_state(rows, steps=300, epochs=1, logging_steps=10, eval_steps=500))

    # raw Trainer stdout: progress bars, warnings, dict lines (no step); eval rises at the last two evals.
    out = ["[2026-11-20 10:01:12,001] [WARNING] [real_accelerator.py:191:get_accelerator] Setting ds_accelerator to cuda",
           "`use_cache=True` is incompatible with gradient checkpointing. Setting `use_cache=False`.",
           "  0%|          | 0/500 [00:00<?, ?it/s]"]
    evals = [1.45, 1.31, 1.24, 1.22, 1.27, 1.34]
    k = 0
    for i, s in enumerate(range(25, 501, 25)):
        loss = 0.55 + 1.2 * math.exp(-s / 120) * (1 + rng.gauss(0, 0.02))
        ep = round(3 * s / 500, 2)
        out.append(f"\r {100 * s // 500:3d}%|{'█' * (s // 50):10s}| {s}/500 [{s // 6:02d}:00<00:30,  1.66it/s]")
        out.append(f"{{'loss': {loss:.4f}, 'grad_norm': {1 + rng.random():.6f}, 'learning_rate': {2e-5 * (1 - s / 500):.3e}, 'epoch': {ep}}}")
        if s % 100 == 0 or s == 500:
            if k < len(evals):
                out.append(f"\r  0%|          | 0/25 [00:00<?, ?it/s]\r 48%|████▊     | 12/25 [00:01<00:01,  9.1it/s]")
                out.append(f"{{'eval_loss': {evals[k]}, 'eval_runtime': 2.61, 'eval_samples_per_second': 76.5, "
                           f"'eval_steps_per_second': 9.58, 'epoch': {ep}}}")
                k += 1
    out.append("{'train_runtime': 301.2, 'train_samples_per_second': 13.2, 'train_steps_per_second': 1.66, 'train_loss': 0.81, 'epoch': 3.0}")
    out.append("100%|██████████| 500/500 [05:01<00:00,  1.66it/s]")
    _w(LOGS / "hf_stdout.log", "\n".join(out) + "\n")
    lines = (LOGS / "hf_stdout.log").read_text().split("\n")
    m["hf_stdout"] = {"eval_values": evals, "best_eval_loss": min(evals),
                      "best_eval_line": next(i + 1 for i, ln in enumerate(lines) if f"'eval_loss': {min(evals)}," in ln),
                      "train_rows": 20}

    # OpenAI metrics CSV: per-step batch valid_loss is very noisy but trends down (NOT overfitting);
    # full_valid_* only at epoch ends; empty cells where not computed.
    rows = []
    for s in range(1, 301):
        tl = 1.4 * math.exp(-s / 90) + 0.35 + rng.gauss(0, 0.08)
        row = {"step": s, "train_loss": f"{tl:.5f}", "train_accuracy": f"{min(0.99, 0.6 + s / 900 + rng.gauss(0, 0.03)):.5f}",
               "valid_loss": "", "valid_mean_token_accuracy": "", "full_valid_loss": "", "full_valid_mean_token_accuracy": ""}
        if s % 5 == 0:
            vl = 1.3 * math.exp(-s / 110) + 0.45 + rng.gauss(0, 0.12)
            row["valid_loss"] = f"{vl:.5f}"
            row["valid_mean_token_accuracy"] = f"{0.62 + s / 1000 + rng.gauss(0, 0.03):.5f}"
        if s % 100 == 0:
            row["full_valid_loss"] = f"{1.3 * math.exp(-s / 110) + 0.45:.5f}"
            row["full_valid_mean_token_accuracy"] = f"{0.62 + s / 1000:.5f}"
        rows.append(row)
    _w_csv(LOGS / "openai_metrics.csv", rows)
    full = [(r["step"], float(r["full_valid_loss"])) for r in rows if r["full_valid_loss"]]
    m["openai"] = {"best_step": min(full, key=lambda t: t[1])[0], "eval_set": "full_valid", "valid_points": 60}

    # Lightning metrics.csv: sparse train rows (train_loss_step) and val rows (val_loss, val_acc) per epoch,
    # plus a train_loss_epoch row; val loss rises from epoch 3; lr from LearningRateMonitor.
    rows = []
    step = 0
    val = [1.30, 1.12, 1.05, 1.09, 1.16, 1.24]
    for epoch in range(6):
        for _ in range(5):
            step += 10
            rows.append({"epoch": epoch, "step": step - 1, "train_loss_step": f"{0.3 + 1.2 * math.exp(-step / 90) + rng.gauss(0, 0.02):.6f}",
                         "lr-AdamW": f"{1e-4:.1e}", "val_loss": "", "val_acc": "", "train_loss_epoch": ""})
        rows.append({"epoch": epoch, "step": step - 1, "train_loss_step": "", "lr-AdamW": "", "val_loss": f"{val[epoch]:.6f}",
                     "val_acc": f"{[0.61, 0.66, 0.69, 0.68, 0.66, 0.63][epoch]:.6f}", "train_loss_epoch": ""})
        rows.append({"epoch": epoch, "step": step - 1, "train_loss_step": "", "lr-AdamW": "", "val_loss": "", "val_acc": "",
                     "train_loss_epoch": f"{0.3 + 1.2 * math.exp(-step / 90):.6f}"})
    _w_csv(LOGS / "lightning_metrics.csv", rows, header=["epoch", "lr-AdamW", "step", "train_loss_epoch", "train_loss_step", "val_acc", "val_loss"])
    m["lightning"] = {"best_step": 29 + 30 * 2 - 0 if False else [r["step"] for r in rows if r["val_loss"]][2], "epochs": 6}

    # generic JSONL: noisy eval loss with a small rise inside its own noise (NOT overfitting).
    lines = []
    for s in range(10, 2010, 10):
        row = {"global_step": s, "loss": round(0.9 + 0.6 * math.exp(-s / 300) + rng.gauss(0, 0.03), 5)}
        row["eval_loss"] = round(1.05 + 0.3 * math.exp(-s / 300) + (0.004 * (s - 1500) / 500 if s > 1500 else 0)
                                 + rng.gauss(0, 0.04), 5)
        lines.append(json.dumps(row))
    _w(LOGS / "noisy_eval.jsonl", "\n".join(lines) + "\n")

    # generic CSV with custom column names (needs --step-col/--loss-col/--eval-col)
    rows = [{"iter": s, "trn_l": f"{0.7 + math.exp(-s / 50):.4f}", "dev_l": f"{0.9 + 0.8 * math.exp(-s / 60):.4f}" if s % 20 == 0 else ""}
            for s in range(5, 305, 5)]
    _w_csv(LOGS / "custom_columns.csv", rows)

    # degenerate: loss exactly 0 from step 60 (masked labels), and a constant loss
    _w(LOGS / "zero_loss.jsonl", "\n".join(json.dumps({"step": s, "loss": 0.0 if s >= 60 else round(1.2 - s / 100, 3)})
                                           for s in range(10, 210, 10)) + "\n")
    _w_csv(LOGS / "constant_loss.csv", [{"step": s, "loss": "2.302585"} for s in range(10, 110, 10)])
    m["zero_loss"] = {"first_zero_step": 60, "first_zero_line": 6}


def _w_csv(path: Path, rows: list[dict], header: list[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header or list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


# --------------------------------------------------------------------------- datasets
PRODUCTS = ["kettle", "air fryer", "standing desk", "running shoes", "phone case", "backpack", "blender", "monitor arm",
            "yoga mat", "desk lamp", "coffee grinder", "rain jacket", "bike helmet", "power bank", "headphones", "toaster"]
ISSUES = ["arrived with a cracked lid", "stopped charging after two days", "is the wrong colour", "never showed up",
          "was delivered to my neighbour", "makes a rattling noise", "came without the manual", "is missing a screw",
          "was charged twice on my card", "shows a different price at checkout", "has a torn strap", "smells of smoke"]
ASKS = ["Can I get a refund?", "How do I return it?", "Could you send a replacement?", "What are my options?",
        "Is this covered by the warranty?", "Can you cancel the order?", "Who should I contact?", "How long will this take?"]
OPENERS = ["Hi,", "Hello team,", "Good morning.", "Hey there,", "Dear support,", "Hi again,", "Hello,", "Quick question:"]
EXTRAS = ["I bought it for my sister's birthday.", "This is the second time this happened.", "I have the receipt.",
          "My order number is {n}.", "I live in {city}.", "I already tried restarting it.", "The box was also damaged.",
          "I paid with PayPal.", "I need it before Friday.", "Your chat bot could not help."]
CITIES = ["Leeds", "Porto", "Austin", "Lyon", "Kraków", "Osaka", "Denver", "Ghent", "Turin", "Malmö"]
ANSWERS = [
    "Sorry about the {p}. I have started a return for order {n}; a prepaid label will reach your email within an hour.",
    "Thanks for flagging this. A replacement {p} ships today from our {c} warehouse and should arrive in 3-5 days.",
    "I can see order {n}. The duplicate charge is a pending authorisation and drops off within 5 business days.",
    "The {p} is covered for 24 months. Please reply with a photo of the fault and I will book the repair.",
    "I have refunded order {n} to the original payment method; banks usually show it within 3-7 days.",
    "Order {n} was left with a neighbour according to the courier scan. If it is not there, I will reship the {p}.",
    "You can return the {p} within 30 days. Print the label from your account page and drop it at any post office.",
    "I have cancelled order {n} before it left the warehouse, so you will not be charged for the {p}.",
]


def ticket(rng: random.Random) -> tuple[str, str]:
    n = rng.randint(100000, 999999)
    p = rng.choice(PRODUCTS)
    parts = [rng.choice(OPENERS), f"the {p} I ordered {rng.choice(ISSUES)}."]
    for e in rng.sample(EXTRAS, rng.randint(1, 3)):
        parts.append(e.format(n=n, city=rng.choice(CITIES)))
    parts.append(rng.choice(ASKS))
    answer = rng.choice(ANSWERS).format(p=p, n=n, c=rng.choice(CITIES))
    return " ".join(parts), answer


SYSTEM = "You are Acme's support assistant. Answer in two sentences, name the order number when you have it."


def chat(user: str, answer: str, system: str | None = SYSTEM) -> dict:
    msgs = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return {"messages": msgs}


def make_datasets() -> None:
    rng = random.Random(7)
    m = MANIFEST.setdefault("datasets", {})
    train: list[str] = []
    base = [ticket(rng) for _ in range(300)]
    plan = {"exact_duplicate": [], "near_duplicate": [], "conflict": [], "empty_output": [], "format_error": {},
            "no_system_prompt": []}
    for i, (u, a) in enumerate(base):
        train.append(json.dumps(chat(u, a)))
    def add(line_text: str) -> int:
        train.append(line_text)
        return len(train)
    # exact duplicates of lines 5, 17, 42 (spacing/case changes only count as exact too)
    for src in (5, 17, 42):
        u, a = base[src - 1]
        ln = add(json.dumps(chat(u, a)))
        plan["exact_duplicate"].append([ln, src])
    ln = add(json.dumps(chat("  " + base[60][0].upper(), base[60][1])))
    plan["exact_duplicate"].append([ln, 61])
    # near duplicates: one extra sentence in the input of a long example, answer unchanged
    for src in (80, 120):
        u, a = base[src - 1]
        ln = add(json.dumps(chat(u.replace("?", " please?", 1), a)))
        plan["near_duplicate"].append([ln, src])
    # conflicts: identical input, a different answer
    for src in (90, 150, 210):
        u, a = base[src - 1]
        other = next(x for x in ANSWERS if x.split()[0] != a.split()[0]).format(p="item", n=1, c="Leeds")
        ln = add(json.dumps(chat(u, other)))
        plan["conflict"].append([ln, src])
    # empty and placeholder outputs
    for out in ("", "TODO", "N/A"):
        u, _ = ticket(rng)
        plan["empty_output"].append(add(json.dumps(chat(u, out))))
    # format errors, each with its exact message
    ln = add('{"messages": [{"role": "user", "content": "Where is my parcel?"}, {"role": "assistant" "content": "x"}]}')
    plan["format_error"][str(ln)] = "not valid JSON (Expecting ',' delimiter at column 88)"
    ln = add(json.dumps({"messages": [{"role": "customer", "content": "hi"}, {"role": "assistant", "content": "hello"}]}))
    plan["format_error"][str(ln)] = "messages[0].role 'customer' is not one of: assistant, developer, function, system, tool, user"
    ln = add(json.dumps({"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Are you open on Sunday?"}]}))
    plan["format_error"][str(ln)] = "no assistant message: there is nothing to learn from this example"
    ln = add(json.dumps({"instruction": "Summarise the ticket", "output": "Customer wants a refund."}))
    plan["format_error"][str(ln)] = "has the keys of alpaca (instruction/input/output) but this file is chat (detected at line 1)"
    ln = add(json.dumps(["not", "an", "object"]))
    plan["format_error"][str(ln)] = "expected a JSON object (got list)"
    # examples without the system prompt
    for _ in range(6):
        u, a = ticket(rng)
        plan["no_system_prompt"].append(add(json.dumps(chat(u, a, system=None))))
    _w(DATA / "train_chat.jsonl", "\n".join(train) + "\n")
    m["train_chat"] = {**plan, "valid_examples": len(train) - len(plan["format_error"]), "lines": len(train)}

    # eval: 60 fresh tickets, 4 exact copies of train inputs, 3 near copies
    ev, leak = [], {"exact": [], "near": []}
    for _ in range(53):
        u, a = ticket(rng)
        ev.append(json.dumps(chat(u, a)))
    for src in (3, 33, 133, 233):
        u, a = base[src - 1]
        ev.append(json.dumps(chat(u, a)))
        leak["exact"].append([len(ev), src])
    for src in (44, 144, 244):
        u, a = base[src - 1]
        ev.append(json.dumps(chat(u + " Thanks!", ANSWERS[0].format(p="item", n=2, c="Ghent"))))
        leak["near"].append([len(ev), src])
    _w(DATA / "eval_chat.jsonl", "\n".join(ev) + "\n")
    m["eval_chat"] = {**leak, "examples": len(ev)}

    # alpaca as a JSON array (pretty-printed): 40 examples, all answers in one template
    items = []
    for _ in range(40):
        u, a = ticket(rng)
        items.append({"instruction": "Reply to the customer ticket.", "input": u,
                      "output": "Dear customer, thank you for reaching out. " + a})
    _w(DATA / "small_alpaca.json", json.dumps(items, indent=2, ensure_ascii=False) + "\n")
    m["small_alpaca"] = {"examples": 40, "style_words": "dear customer thank you"}

    # the same array saved under a .jsonl name: the content decides
    _w(DATA / "array_named.jsonl", json.dumps(items[:12], indent=2) + "\n")

    # prompt/completion
    pc = [json.dumps({"prompt": u, "completion": " " + a}) for u, a in (ticket(rng) for _ in range(30))]
    _w(DATA / "prompt_completion.jsonl", "\n".join(pc) + "\n")

    # TRL preference, with chosen == rejected at line 4 and a pair ranked both ways at line 9 (vs line 2)
    pref = []
    for i in range(8):
        u, a = ticket(rng)
        pref.append({"prompt": u, "chosen": a, "rejected": "Please contact support."})
    pref[3]["rejected"] = pref[3]["chosen"]
    pref.append({"prompt": pref[1]["prompt"], "chosen": pref[1]["rejected"], "rejected": pref[1]["chosen"]})
    _w(DATA / "preference.jsonl", "\n".join(json.dumps(p) for p in pref) + "\n")
    m["preference"] = {"same_pair_line": 4, "reversed": [9, 2]}

    # OpenAI DPO
    dpo = []
    for _ in range(10):
        u, a = ticket(rng)
        dpo.append({"input": {"messages": [{"role": "user", "content": u}], "tools": [], "parallel_tool_calls": True},
                    "preferred_output": [{"role": "assistant", "content": a}],
                    "non_preferred_output": [{"role": "assistant", "content": "I cannot help with that."}]})
    dpo[6]["preferred_output"] = [{"role": "assistant", "content": ""}]
    _w(DATA / "openai_dpo.jsonl", "\n".join(json.dumps(d) for d in dpo) + "\n")
    m["openai_dpo"] = {"empty_line": 7, "examples": 10}


# --------------------------------------------------------------------------- probes and broken files
def make_probes_and_broken() -> None:
    def suite(sid, base, cand, verdict, n=60):
        return {"id": sid, "n": n, "base": {"mean": base, "std": 0.3, "errors": 0},
                "candidate": {"mean": cand, "std": 0.3, "errors": 0}, "delta": round(cand - base, 4),
                "ci95": [round(cand - base - 0.05, 4), round(cand - base + 0.05, 4)], "verdict": verdict}
    common = {"models": {"base": "openai/gpt-4o-mini", "candidate": "openai/ft:gpt-4o-mini:acme::abc123"},
              "settings": {"temperature": 0, "max_tokens": 64, "system_prompt_sha256": "0" * 64}, "cost_usd": 0.42}
    _w(HERE / "probes" / "forgetting.json", json.dumps({**common, "suites": [
        suite("task", 0.62, 0.81, "improvement"), suite("general", 0.88, 0.64, "regression", n=64)]}, indent=2) + "\n")
    _w(HERE / "probes" / "shift.json", json.dumps({**common, "suites": [
        suite("task", 0.60, 0.84, "improvement"), suite("shift", 0.58, 0.47, "regression"),
        suite("general", 0.88, 0.87, "no_difference", n=64)]}, indent=2) + "\n")
    _w(BAD / "trainer_state_malformed.json", '{\n  "epoch": 1.0,\n  "log_history": [\n    {"loss": 1.2, "step": 10}\n    {"loss": 1.1, "step": 20}\n  ]\n}\n')
    _w(BAD / "log_history_not_list.json", '{\n  "global_step": 10,\n  "log_history": 5\n}\n')
    _w(BAD / "metrics_bad_cell.csv", "step,loss,eval_loss\n10,1.2,\n20,1.1,1.3\n30,abc,\n")
    _w(BAD / "no_loss_columns.csv", "when,value\n1,2\n2,3\n")
    _w(BAD / "empty.log", "\n\n")
    _w(BAD / "plain_text.txt", "training finished fine, no numbers here\n")
    _w(BAD / "all_bad.jsonl", '{"foo": 1}\n{"bar": 2}\n')
    _w(BAD / "probe_no_suites.json", '{"models": {}}\n')
    _w(BAD / "runbook_unknown_key.yaml", "version: 1\ntitle: t\nsource: s\nsymptoms: []\ncauses: []\ngeneral_first_checks: []\n"
                                          "when_not_the_issue: []\nthresholds:\n  max_epochs: 3\n  max_epoch: 4\n")


if __name__ == "__main__":
    make_logs()
    make_datasets()
    make_probes_and_broken()
    _w(HERE / "manifest.json", json.dumps(MANIFEST, indent=2, sort_keys=True) + "\n")
    print("wrote fixtures under", HERE)
