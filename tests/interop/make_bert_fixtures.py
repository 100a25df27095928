#!/usr/bin/env python3
"""BERT fixtures for lib/apps/import_hf_bert_test.cpp (issue 25).

Run once with the interop venv (torch 2.15, transformers 5.25):
    /work/venv/bin/python tests/interop/make_bert_fixtures.py
A tiny BERT with every dimension distinct (hidden 24, 3 heads, intermediate
40, vocab 97, 33 positions, 2 token types, eps 1e-12) and every parameter
redrawn (weights and biases N(0, 0.2), layer-norm weights 1 + 0.2 N: the
library's initialisation of norms to 1/0 and biases to 0 would hide a map
that drops or swaps them), saved three ways with the same weights:
  fixtures/bert/mlm/          BertForMaskedLM      (save_pretrained, safetensors)
  fixtures/bert/model/        BertModel            (with its pooler)
  fixtures/bert/pretraining/  BertForPreTraining   rewritten with TF-era spellings
                              (LayerNorm.gamma/.beta) and a stale
                              embeddings.position_ids buffer, keys as older
                              checkpoints have them
each with vocab.txt and tokenizer_config.json, and fixtures/bert/reference.safetensors:
input_ids [3, T] of three fortune-like lines tokenized by BertTokenizer
(padded rows; lengths), last_hidden_state, pooler_output and the MLM
logits, computed in eval mode (f32).
"""
import json
import os
import shutil

import torch
from safetensors.torch import load_file, save_file
from transformers import BertConfig, BertForMaskedLM, BertForPreTraining, BertModel, BertTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "bert")

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)]
WORDS = ["the", "of", "to", "and", "is", "in", "it", "you", "that", "he", "was", "for", "on", "are", "with",
         "as", "his", "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "not", "but", "what",
         "all", "we", "when", "your", "can", "said", "there", "use", "an", "old", "day", "dog", "rain", "still", "three"]
PUNCT = [".", ",", "'", "!", "?", "##s", "##ed", "##ing", "##ly", "##er", "##e", "##t", "##n", "##r", "##a",
         "##o", "##i", "##l", "##d", "##y", "##h"]
LINES = ["A kettle watched by three cooks still boils at its own pace.",
         "The fox that owns a lamp still hunts in the dark!",
         "Bread shared at noon?"]


def vocab():
    v = SPECIAL + PUNCT + LETTERS + WORDS
    v = v[:97]
    assert len(v) == 97 and len(set(v)) == 97, len(v)
    return v


def redraw(model, seed=25):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            n = torch.randn(p.shape, generator=g)
            if "LayerNorm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * n)
            else:
                p.copy_(0.2 * n)


def write_tokenizer_files(d, pieces):
    with open(os.path.join(d, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(p + "\n" for p in pieces))
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 33}, f, indent=1)


def main():
    torch.manual_seed(0)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    pieces = vocab()
    config = BertConfig(vocab_size=97, hidden_size=24, num_hidden_layers=2, num_attention_heads=3,
                        intermediate_size=40, max_position_embeddings=33, type_vocab_size=2, hidden_act="gelu",
                        layer_norm_eps=1e-12, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                        pad_token_id=0, tie_word_embeddings=True)
    pre = BertForPreTraining(config).eval()
    redraw(pre)

    dirs = {k: os.path.join(OUT, k) for k in ("mlm", "model", "pretraining")}
    for d in dirs.values():
        os.makedirs(d)
        write_tokenizer_files(d, pieces)
    tok = BertTokenizer.from_pretrained(dirs["mlm"])
    batch = tok(LINES, padding=True, return_tensors="pt")
    ids, mask = batch["input_ids"], batch["attention_mask"]

    mlm = BertForMaskedLM(config).eval()
    mlm.bert.load_state_dict({k: v for k, v in pre.bert.state_dict().items() if not k.startswith("pooler.")},
                             strict=True)
    mlm.cls.predictions.load_state_dict(pre.cls.predictions.state_dict(), strict=True)
    model = BertModel(config).eval()
    model.load_state_dict(pre.bert.state_dict(), strict=True)

    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask)
        logits = mlm(input_ids=ids, attention_mask=mask).logits
        pre_out = pre(input_ids=ids, attention_mask=mask)
        assert torch.allclose(pre_out.prediction_logits, logits, atol=1e-6)
        assert torch.allclose(mlm.bert(input_ids=ids, attention_mask=mask).last_hidden_state,
                              out.last_hidden_state, atol=1e-6)

    mlm.save_pretrained(dirs["mlm"], safe_serialization=True)
    model.save_pretrained(dirs["model"], safe_serialization=True)
    pre.save_pretrained(dirs["pretraining"], safe_serialization=True)
    # Older checkpoints: TF-era LayerNorm.gamma/beta and the position_ids buffer.
    path = os.path.join(dirs["pretraining"], "model.safetensors")
    tensors = load_file(path)
    old = {}
    for k, v in tensors.items():
        if "LayerNorm" in k and k.endswith(".weight"):
            k = k[: -len("weight")] + "gamma"
        elif "LayerNorm" in k and k.endswith(".bias"):
            k = k[: -len("bias")] + "beta"
        old[k] = v.contiguous()
    old["bert.embeddings.position_ids"] = torch.arange(33, dtype=torch.int64)[None]
    save_file(old, path, metadata={"format": "pt"})

    lengths = mask.sum(1).to(torch.int64)
    save_file({"input_ids": ids.to(torch.int64).contiguous(), "lengths": lengths.contiguous(),
               "last_hidden_state": out.last_hidden_state.float().contiguous(),
               "pooler_output": out.pooler_output.float().contiguous(),
               "mlm_logits": logits.float().contiguous()},
              os.path.join(OUT, "reference.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("Made by tests/interop/make_bert_fixtures.py (transformers %s, torch %s); see its docstring.\n"
                "Lines: %s\n" % (__import__("transformers").__version__, torch.__version__, json.dumps(LINES)))
    for k, d in dirs.items():
        print(k, sorted(load_file(os.path.join(d, "model.safetensors")).keys())[:3], "...",
              len(load_file(os.path.join(d, "model.safetensors"))), "tensors")
    print("ids", ids.tolist())


if __name__ == "__main__":
    main()
