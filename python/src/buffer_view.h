// BufferView: a C-contiguous view of a Python object's memory (bytearray, memoryview, numpy
// array, torch tensor via numpy, mmap, ...) held for the duration of one native call, so reads
// land in the caller's memory with no intermediate copy.
//
// Acquire with the GIL held; the exporter stays pinned (a bytearray cannot be resized) until the
// view is destroyed, so the bytes may be used with the GIL released. Destroy with the GIL held.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <span>

namespace trainload::python {

class BufferView {
 public:
  // Throws pybind11::error_already_set (a BufferError / TypeError) when `object` exposes no
  // contiguous buffer, or no writable one when `writable`.
  BufferView(pybind11::handle object, bool writable) {
    int flags = writable ? (PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) : PyBUF_C_CONTIGUOUS;
    if (PyObject_GetBuffer(object.ptr(), &view_, flags) != 0) {
      throw pybind11::error_already_set();
    }
  }
  ~BufferView() { PyBuffer_Release(&view_); }
  BufferView(const BufferView&) = delete;
  BufferView& operator=(const BufferView&) = delete;

  std::span<std::byte> bytes() {
    return {static_cast<std::byte*>(view_.buf), static_cast<size_t>(view_.len)};
  }

 private:
  Py_buffer view_{};
};

}  // namespace trainload::python
