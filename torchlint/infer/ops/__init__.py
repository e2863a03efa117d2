"""The rules of torch ops by family; `torchlint.infer.tensor_ops` dispatches to them."""
