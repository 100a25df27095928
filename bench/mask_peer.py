"""The PyTorch side of bench/mask.sh: Hugging Face's MLM corruption
(DataCollatorForLanguageModeling.torch_mask_tokens, transcribed: transformers
is not in Debian) and MAE's random_masking (facebookresearch/mae), batched on
the CPU over an SSL-HDF5 file's /tokens or /images, in memory.
usage: mask_peer.py {mlm,patch} FILE [--batch 512]  -> JSON: masks per second"""
import argparse, json, time
import h5py, torch

ap = argparse.ArgumentParser()
ap.add_argument("scheme", choices=["mlm", "patch"])
ap.add_argument("file")
ap.add_argument("--batch", type=int, default=512)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
f = h5py.File(a.file, "r")


def mlm(inputs, special, mask_id, vocab):
    labels = inputs.clone()
    probability_matrix = torch.full(labels.shape, 0.15)
    probability_matrix.masked_fill_(special[inputs], value=0.0)
    masked_indices = torch.bernoulli(probability_matrix).bool()
    labels[~masked_indices] = -100
    indices_replaced = torch.bernoulli(torch.full(labels.shape, 0.8)).bool() & masked_indices
    inputs[indices_replaced] = mask_id
    indices_random = torch.bernoulli(torch.full(labels.shape, 0.5)).bool() & masked_indices & ~indices_replaced
    random_words = torch.randint(vocab, labels.shape, dtype=torch.long)
    inputs[indices_random] = random_words[indices_random]
    return inputs, labels


def random_masking(N, L, ratio):
    len_keep = int(L * (1 - ratio))
    noise = torch.rand(N, L)
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    mask = torch.ones([N, L])
    mask[:, :len_keep] = 0
    return torch.gather(mask, dim=1, index=ids_restore)


t0 = time.perf_counter()
n = 0
if a.scheme == "mlm":
    tok = f["tokenizer"].attrs
    vocab = int(tok["vocab_size"])
    special = torch.zeros(vocab, dtype=torch.bool)
    for k in ("pad_id", "unk_id", "cls_id", "sep_id", "mask_id"):
        special[int(tok[k])] = True
    ds = f["tokens"]
    for s in range(0, ds.shape[0], a.batch):
        x = torch.from_numpy(ds[s:s + a.batch].astype("int64"))
        mlm(x, special, int(tok["mask_id"]), vocab)
        n += x.shape[0]
else:
    ds = f["images"]
    L = (ds.shape[1] // 4) * (ds.shape[2] // 4)
    for s in range(0, ds.shape[0], a.batch):
        x = ds[s:s + a.batch]  # read, as ssl-mask reads what it copies
        random_masking(x.shape[0], L, 0.75)
        n += x.shape[0]
el = time.perf_counter() - t0
print(json.dumps(dict(scheme=a.scheme, samples=n, seconds=el, masks_per_s=n / el)))
