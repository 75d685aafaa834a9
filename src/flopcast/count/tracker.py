"""Which module is running now, in forward and in backward, as a cheap attribute read.

Forward calls nest, so entering and leaving follow the module pre/post hooks. In backward a
module is entered when the gradients of its outputs are ready and left when those of its inputs
are (``register_multi_grad_hook``, as ``torch.utils.module_tracker`` does); the current module is
the deepest one still active (the most recently entered among equals), so the common case where
a module's input needs no gradient (the first layer, an embedding) still hands ops to the right
owner. A module whose inputs need no gradient but whose output does stays active until the end
of backward, and may take later backward ops of shallower modules: attribution, never totals.

After the forward pass (:meth:`ModuleTracker.stop_forward`) a module forward runs only to recompute
activations (``torch.utils.checkpoint``, Hugging Face gradient checkpointing): such calls are kept
on their own stack, :attr:`recompute`, and register no gradient hooks. The post hook is registered
with ``always_call`` so that a recomputation checkpoint stops early (by raising inside the
segment) still unwinds the stack.
"""

from __future__ import annotations

import torch
from torch.autograd.graph import register_multi_grad_hook
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
from torch.utils._pytree import tree_flatten


class ModuleTracker:
    """Context manager exposing :attr:`current`, the qualified name of the running module.

    Names are those of ``root.named_modules()`` with ``""`` for the root itself; a module outside
    ``root`` (a loss built on the fly) is named ``<current>.<ClassName>``.
    """

    def __init__(self, root: torch.nn.Module, *, backward: bool) -> None:
        self.names: dict[int, str] = {id(m): n for n, m in root.named_modules()}
        self.types: dict[str, str] = {n: type(m).__name__ for n, m in root.named_modules()}
        self.current = ""
        self.recompute: list[str] = []  # modules re-running their forward during backward, outermost first
        self._forward_done = False
        self._active: dict[str, int] = {}  # name -> depth, in entry order
        self._backward = backward
        self._handles: list = []
        self._callback_queued = False

    # -- bookkeeping (per module call, not per op) --
    def _name(self, mod: torch.nn.Module) -> str:
        name = self.names.get(id(mod))
        if name is None:
            name = f"{self.current}.{type(mod).__name__}" if self.current else type(mod).__name__
            self.names[id(mod)] = name
            self.types[name] = type(mod).__name__
        return name

    def _enter(self, name: str) -> None:
        self._active.pop(name, None)
        self._active[name] = name.count(".") + 1 if name else 0
        self._update()

    def _leave(self, name: str) -> None:
        self._active.pop(name, None)
        self._update()

    def _update(self) -> None:
        # the deepest active module, the most recently entered among equals (in backward a module
        # and its last child become active together, when their shared output's gradient is ready)
        best, best_depth = "", -1
        for name, depth in self._active.items():
            if depth >= best_depth:
                best, best_depth = name, depth
        self.current = best

    def _enter_backward(self, name: str) -> None:
        if not self._callback_queued:
            self._callback_queued = True
            torch.autograd.Variable._execution_engine.queue_callback(self._reset)
        self._enter(name)

    def _reset(self) -> None:
        self._active.clear()
        self.current = ""
        self._callback_queued = False

    @staticmethod
    def _grad_tensors(obj) -> list[torch.Tensor]:
        leaves, _ = tree_flatten(obj)
        return [t for t in leaves if isinstance(t, torch.Tensor) and t.requires_grad]

    def _pre(self, mod, args) -> None:
        name = self._name(mod)
        if self._forward_done:
            self.recompute.append(name)
            return
        self._enter(name)
        if self._backward:
            tensors = self._grad_tensors(args)
            if tensors:
                self._handles.append(register_multi_grad_hook(tensors, lambda _g, n=name: self._leave(n)))

    def _post(self, mod, args, output) -> None:
        name = self._name(mod)
        if self._forward_done:
            if name in self.recompute:  # the innermost call of this module, and anything left inside it
                del self.recompute[len(self.recompute) - 1 - self.recompute[::-1].index(name) :]
            return
        self._leave(name)
        if self._backward:
            tensors = self._grad_tensors(output)
            if tensors:
                self._handles.append(register_multi_grad_hook(tensors, lambda _g, n=name: self._enter_backward(n)))

    def __enter__(self) -> ModuleTracker:
        self._handles.append(register_module_forward_pre_hook(self._pre))
        self._handles.append(register_module_forward_hook(self._post, always_call=True))
        return self

    def stop_forward(self) -> None:
        """The forward pass is done: a module forward from now on recomputes (see :attr:`recompute`)."""
        self._forward_done = True

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()
