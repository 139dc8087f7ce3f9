"""Reading CIFAR-10's pickled batches so that a pickle can never run code.

A pickle is a small program: it names functions and calls them. `BatchUnpickler` admits only
what a batch holds (dicts, lists, strings, bytes, numbers and numpy arrays of numbers) and
refuses anything else with a reason. The exported scripts copy this class, so they read the
files just as safely.
"""

from __future__ import annotations

import pickle


class BatchUnpickler(pickle.Unpickler):
    """Unpickles a CIFAR-10 batch: dicts, lists, str, bytes, numbers and numeric numpy arrays only.

    Any other global a pickle names is refused (`pickle.UnpicklingError`). The numpy pieces it may
    name are stand-ins written here, which build a real array only from checked numbers: no code
    in the file ever runs, numpy's included.
    """

    class Array:
        """A numpy array the pickle describes, made only from a checked shape, type and bytes."""

        def __init__(self):
            self.value = None

        def __setstate__(self, state):
            import numpy as np

            if self.value is not None or not isinstance(state, tuple) or len(state) != 5:
                raise pickle.UnpicklingError("it fills in an array in an unknown way")
            _, shape, dtype, fortran, raw = state
            if not isinstance(dtype, BatchUnpickler.DType) or not isinstance(fortran, bool):
                raise pickle.UnpicklingError("it holds an array of an unknown type")
            if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
                raise pickle.UnpicklingError("it holds an array of a damaged shape")
            if isinstance(raw, str):  # a Python 2 string, read as latin1
                raw = bytearray(raw, "latin1")
            elif isinstance(raw, bytes):
                raw = bytearray(raw)  # numpy keeps arrays writable
            if not isinstance(raw, bytearray):
                raise pickle.UnpicklingError("it holds an array without its numbers")
            count = 1
            for n in shape:
                count *= n
            if len(raw) != count * dtype.value.itemsize:
                raise pickle.UnpicklingError("it holds an array whose numbers do not fill its shape")
            flat = np.frombuffer(raw, dtype.value)
            self.value = flat.reshape(shape, order="F" if fortran else "C")

    class DType:
        """A numpy number type, by name: booleans, integers and floats, nothing else."""

        def __init__(self, name, align=False, copy=False):
            import numpy as np

            if isinstance(name, bytes):  # a Python 2 string, read with encoding="bytes"
                name = name.decode("latin1")
            value = np.dtype(name) if isinstance(name, str) else None
            if value is None or value.kind not in "biuf" or value.fields is not None or value.subdtype is not None:
                raise pickle.UnpicklingError(f"it holds an array of {name!r}, not of numbers")
            self.value = value

        def __setstate__(self, state):
            if isinstance(state, tuple) and len(state) == 8 and isinstance(state[1], bytes):
                state = (state[0], state[1].decode("latin1"), *state[2:])
            if not isinstance(state, tuple) or len(state) != 8 or state[1] not in ("<", ">", "|", "=") or state[2:] != (None, None, None, -1, -1, 0):
                raise pickle.UnpicklingError("it holds a numpy type with fields or flags, not a plain number type")
            if state[1] in ("<", ">"):
                self.value = self.value.newbyteorder(state[1])

    @staticmethod
    def reconstruct(cls, shape, typecode):
        """numpy's `_reconstruct(ndarray, (0,), b'b')`: an empty array that BUILD fills in."""
        if cls is not BatchUnpickler.Array:
            raise pickle.UnpicklingError("it rebuilds an array of another class than numpy's")
        return BatchUnpickler.Array()

    @staticmethod
    def frombuffer(buffer, dtype, shape, order):
        """numpy's `_frombuffer` (pickle protocol 5): an array from bytes held in the pickle."""
        if not isinstance(dtype, BatchUnpickler.DType) or not isinstance(buffer, (bytes, bytearray)):
            raise pickle.UnpicklingError("it holds an array of an unknown type")
        array = BatchUnpickler.Array()
        array.__setstate__((1, tuple(shape), dtype, order == "F", buffer))
        return array

    @staticmethod
    def scalar(dtype, data):
        """One numpy number, as a Python number."""
        import numpy as np

        if not isinstance(dtype, BatchUnpickler.DType) or not isinstance(data, bytes) or len(data) != dtype.value.itemsize:
            raise pickle.UnpicklingError("it holds a damaged number")
        return np.frombuffer(data, dtype.value)[0].item()

    @staticmethod
    def encode(text, encoding="utf-8"):
        """How Python 3 writes bytes in a protocol 2 pickle: `_codecs.encode('...', 'latin1')`."""
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise pickle.UnpicklingError("it encodes bytes in an unexpected way")
        return text.encode("latin1")

    def find_class(self, module, name):
        """The stand-ins for the numpy pieces an array needs; any other name is refused."""
        allowed = {
            ("numpy", "dtype"): BatchUnpickler.DType,
            ("numpy", "ndarray"): BatchUnpickler.Array,
            ("numpy.core.multiarray", "_reconstruct"): BatchUnpickler.reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): BatchUnpickler.reconstruct,
            ("numpy.core.multiarray", "scalar"): BatchUnpickler.scalar,
            ("numpy._core.multiarray", "scalar"): BatchUnpickler.scalar,
            ("numpy.core.numeric", "_frombuffer"): BatchUnpickler.frombuffer,
            ("numpy._core.numeric", "_frombuffer"): BatchUnpickler.frombuffer,
            ("_codecs", "encode"): BatchUnpickler.encode,
        }
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"it asks for {module}.{name}, which no CIFAR-10 batch holds (it could run code)")
        return allowed[(module, name)]

    def load(self):
        """The batch: a dict whose array values are real numpy arrays."""
        batch = super().load()
        if not isinstance(batch, dict):
            raise pickle.UnpicklingError("it is not a dict of arrays and lists")
        unpacked = {}
        for key, value in batch.items():
            if isinstance(value, BatchUnpickler.Array):
                if value.value is None:
                    raise pickle.UnpicklingError("it holds an array never filled in")
                value = value.value
            unpacked[key.decode("latin1") if isinstance(key, bytes) else key] = value
        return unpacked
