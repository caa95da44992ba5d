// trainload._trainload: thin pybind11 bindings over include/trainload/client.h.
//
// Every call that may block (network, files) releases the GIL; reads land directly in the
// caller's buffer (BufferView) or in a bytes object allocated at its final size; a failed Status
// becomes a trainload._errors exception naming the s3:// URI (status_exception.h). Everything
// else — datasets, file objects, fork handling — is the pure-Python layer's business.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "buffer_view.h"
#include "client_handle.h"
#include "parallel_get.h"
#include "status_exception.h"
#include "trainload/client.h"

namespace py = pybind11;

namespace trainload::python {

Client& ClientHandle::client() const {
  if (!InOwnerProcess()) {
    throw std::runtime_error(
        "this trainload client was created in process " + std::to_string(owner_pid_) +
        " and cannot be used in process " + std::to_string(::getpid()) +
        " (its threads do not survive fork); create a new client in this process");
  }
  return *client_;
}

namespace {

// Runs `f` with the GIL released; the result is built before the GIL is taken back.
template <typename F>
auto WithoutGil(F&& f) {
  py::gil_scoped_release release;
  return std::forward<F>(f)();
}

template <typename T>
T ValueOrThrow(Result<T> result, const std::string& uri) {
  if (!result) ThrowStatus(result.error(), uri);
  return std::move(*result);
}

void CheckOk(const Status& status, const std::string& uri) {
  if (!status.ok()) ThrowStatus(status, uri);
}

GetOptions IfMatch(const std::string& etag) {
  GetOptions options;
  options.if_match = etag;
  return options;
}

PutOptions WithContentType(const std::string& content_type) {
  PutOptions options;
  options.content_type = content_type;
  return options;
}

// A bytes object of `length` bytes filled by `fill(span)` without the GIL (it is not visible to
// any other code until returned); shrunk to what `fill` reports.
template <typename Fill>
py::bytes FillNewBytes(size_t length, const std::string& uri, Fill&& fill) {
  PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(length));
  if (raw == nullptr) throw py::error_already_set();
  py::bytes bytes = py::reinterpret_steal<py::bytes>(raw);
  std::span<std::byte> out(reinterpret_cast<std::byte*>(PyBytes_AS_STRING(raw)), length);
  Result<size_t> got = WithoutGil([&] { return fill(out); });
  size_t n = ValueOrThrow(std::move(got), uri);
  if (n < length) {
    PyObject* shrunk = bytes.release().ptr();
    if (_PyBytes_Resize(&shrunk, static_cast<Py_ssize_t>(n)) != 0) throw py::error_already_set();
    bytes = py::reinterpret_steal<py::bytes>(shrunk);
  }
  return bytes;
}

struct ClientArgs {
  std::string endpoint;
  std::string region;
  std::string profile;
  bool anonymous = false;
  bool force_path_style = false;
  double throughput_target_gbps = 10.0;
  uint64_t part_size = 8ull << 20;
  int max_attempts = 0;
  size_t max_connections = 0;
  uint64_t max_memory = 1ull << 30;
  std::optional<std::string> access_key_id;
  std::optional<std::string> secret_access_key;
  std::optional<std::string> session_token;
  std::string ca_bundle;
  bool verify_tls = true;
};

std::shared_ptr<ClientHandle> CreateClient(const ClientArgs& args) {
  ClientOptions options;
  options.endpoint = args.endpoint;
  options.region = args.region;
  options.profile = args.profile;
  options.anonymous = args.anonymous;
  options.addressing = args.force_path_style ? Addressing::kPath : Addressing::kAuto;
  options.throughput_target_gbps = args.throughput_target_gbps;
  options.part_size = args.part_size;
  options.max_attempts = args.max_attempts;
  options.max_connections = args.max_connections;
  options.max_memory = args.max_memory;
  options.ca_bundle = args.ca_bundle;
  options.verify_tls = args.verify_tls;
  if (args.access_key_id || args.secret_access_key) {
    options.credentials =
        Credentials{args.access_key_id.value_or(""), args.secret_access_key.value_or(""),
                    args.session_token.value_or("")};
  }
  Result<std::unique_ptr<Client>> client = WithoutGil([&] { return Client::Create(options); });
  std::string where = args.endpoint.empty() ? std::string("s3://") : args.endpoint;
  return std::make_shared<ClientHandle>(ValueOrThrow(std::move(client), where));
}

// A sequential reader bound to the handle that created it; leaked, like the client, in a process
// other than the creator's.
struct NativeReader {
  std::shared_ptr<ClientHandle> handle;
  std::unique_ptr<ObjectReader> reader;
  std::string uri;
  ~NativeReader() {
    if (handle && !handle->InOwnerProcess()) (void)reader.release();
  }
  ObjectReader& get() {
    handle->client();  // throws after fork
    if (!reader) throw std::runtime_error("reader of " + uri + " is closed");
    return *reader;
  }
};

struct NativeWriter {
  std::shared_ptr<ClientHandle> handle;
  std::unique_ptr<ObjectWriter> writer;
  std::string uri;
  ~NativeWriter() {
    if (handle && !handle->InOwnerProcess()) (void)writer.release();
  }
  ObjectWriter& get() {
    handle->client();
    if (!writer) throw std::runtime_error("writer of " + uri + " is closed");
    return *writer;
  }
};

py::tuple ListPageToPython(const ListPage& page) {
  py::list objects(page.objects.size());
  for (size_t i = 0; i < page.objects.size(); ++i) {
    const ObjectInfo& o = page.objects[i];
    objects[i] = py::make_tuple(py::str(o.key), o.size, py::str(o.etag));
  }
  py::list prefixes;
  for (const std::string& p : page.common_prefixes) prefixes.append(py::str(p));
  return py::make_tuple(objects, prefixes, page.next_continuation_token);
}

void BindObjectInfo(py::module_& m) {
  py::class_<ObjectInfo>(m, "ObjectInfo")
      .def_readonly("key", &ObjectInfo::key)
      .def_readonly("size", &ObjectInfo::size)
      .def_readonly("etag", &ObjectInfo::etag)
      .def_readonly("last_modified_ms", &ObjectInfo::last_modified_ms)
      .def_readonly("content_type", &ObjectInfo::content_type)
      .def_readonly("storage_class", &ObjectInfo::storage_class)
      .def_readonly("metadata", &ObjectInfo::metadata)
      .def_readonly("checksum_algorithm", &ObjectInfo::checksum_algorithm)
      .def_readonly("checksum", &ObjectInfo::checksum)
      .def("__repr__", [](const ObjectInfo& o) {
        return "ObjectInfo(key=" + py::repr(py::str(o.key)).cast<std::string>() +
               ", size=" + std::to_string(o.size) + ", etag='" + o.etag + "')";
      });
}

void BindReaderWriter(py::module_& m) {
  py::class_<NativeReader>(m, "ObjectReader")
      .def(
          "readinto",
          [](NativeReader& self, py::object buffer) {
            ObjectReader& reader = self.get();
            BufferView view(buffer, /*writable=*/true);
            Result<size_t> n = WithoutGil([&] { return reader.Read(view.bytes()); });
            return ValueOrThrow(std::move(n), self.uri);
          },
          py::arg("buffer"), "Fills `buffer` with the next bytes; fewer only at the end.")
      .def(
          "read",
          [](NativeReader& self, size_t size) {
            ObjectReader& reader = self.get();
            return FillNewBytes(size, self.uri,
                                [&](std::span<std::byte> out) { return reader.Read(out); });
          },
          py::arg("size"))
      .def_property_readonly("info", [](NativeReader& self) { return self.get().info(); })
      .def_readonly("uri", &NativeReader::uri)
      .def("close", [](NativeReader& self) {
        if (self.handle->InOwnerProcess()) {
          std::unique_ptr<ObjectReader> reader = std::move(self.reader);
          WithoutGil([&] {
            reader.reset();
            return 0;
          });
        }
      });

  py::class_<NativeWriter>(m, "ObjectWriter")
      .def(
          "write",
          [](NativeWriter& self, py::object data) {
            ObjectWriter& writer = self.get();
            BufferView view(data, /*writable=*/false);
            std::span<const std::byte> bytes = view.bytes();
            Status status = WithoutGil([&] { return writer.Write(bytes); });
            CheckOk(status, self.uri);
            return bytes.size();
          },
          py::arg("data"))
      .def(
          "close",
          [](NativeWriter& self) {
            ObjectWriter& writer = self.get();
            Result<PutResult> result = WithoutGil([&] { return writer.Close(); });
            std::unique_ptr<ObjectWriter> done = std::move(self.writer);
            return ValueOrThrow(std::move(result), self.uri).etag;
          },
          "Completes the upload; the object appears now. Returns its ETag.")
      .def("abort",
           [](NativeWriter& self) {
             if (!self.writer || !self.handle->InOwnerProcess()) return;
             std::unique_ptr<ObjectWriter> writer = std::move(self.writer);
             WithoutGil([&] {
               writer->Abort();
               writer.reset();
               return 0;
             });
           })
      .def_readonly("uri", &NativeWriter::uri);
}

void BindClient(py::module_& m) {
  py::class_<ClientHandle, std::shared_ptr<ClientHandle>>(m, "Client")
      .def(py::init([](std::string endpoint, std::string region, std::string profile,
                       bool anonymous, bool force_path_style, double throughput_target_gbps,
                       uint64_t part_size, int max_attempts, size_t max_connections,
                       uint64_t max_memory, std::optional<std::string> access_key_id,
                       std::optional<std::string> secret_access_key,
                       std::optional<std::string> session_token, std::string ca_bundle,
                       bool verify_tls) {
             return CreateClient(ClientArgs{
                 std::move(endpoint), std::move(region), std::move(profile), anonymous,
                 force_path_style, throughput_target_gbps, part_size, max_attempts, max_connections,
                 max_memory, std::move(access_key_id), std::move(secret_access_key),
                 std::move(session_token), std::move(ca_bundle), verify_tls});
           }),
           py::kw_only(), py::arg("endpoint") = "", py::arg("region") = "", py::arg("profile") = "",
           py::arg("anonymous") = false, py::arg("force_path_style") = false,
           py::arg("throughput_target_gbps") = 10.0, py::arg("part_size") = 8ull << 20,
           py::arg("max_attempts") = 0, py::arg("max_connections") = 0,
           py::arg("max_memory") = 1ull << 30, py::arg("access_key_id") = py::none(),
           py::arg("secret_access_key") = py::none(), py::arg("session_token") = py::none(),
           py::arg("ca_bundle") = "", py::arg("verify_tls") = true)
      .def_property_readonly("endpoint",
                             [](const ClientHandle& h) { return h.client().options().endpoint; })
      .def_property_readonly("region",
                             [](const ClientHandle& h) { return h.client().options().region; })
      .def_property_readonly("part_size",
                             [](const ClientHandle& h) { return h.client().options().part_size; })
      .def_property_readonly(
          "max_connections",
          [](const ClientHandle& h) { return h.client().options().max_connections; })
      .def_property_readonly("owner_pid", &ClientHandle::owner_pid)
      .def(
          "head",
          [](const ClientHandle& h, const std::string& bucket, const std::string& key) {
            Client& c = h.client();
            return ValueOrThrow(WithoutGil([&] { return c.Head(bucket, key); }),
                                S3Uri(bucket, key));
          },
          py::arg("bucket"), py::arg("key"))
      .def(
          "get",
          [](const ClientHandle& h, const std::string& bucket, const std::string& key,
             const std::string& if_match, std::optional<size_t> size) {
            Client& c = h.client();
            if (size) {
              // Received straight into the new bytes object.
              return FillNewBytes(*size, S3Uri(bucket, key), [&](std::span<std::byte> out) {
                return c.GetInto(bucket, key, out, IfMatch(if_match));
              });
            }
            std::string body =
                ValueOrThrow(WithoutGil([&] { return c.Get(bucket, key, IfMatch(if_match)); }),
                             S3Uri(bucket, key));
            return py::bytes(body);
          },
          py::arg("bucket"), py::arg("key"), py::arg("if_match") = "", py::arg("size") = py::none(),
          "The whole object (one GET, checksum verified) as bytes. With `size` (the object's "
          "size, e.g. from a listing) it is received in place; a larger object is an error.")
      .def(
          "get_range",
          [](const ClientHandle& h, const std::string& bucket, const std::string& key,
             uint64_t first, size_t length, const std::string& if_match) {
            Client& c = h.client();
            if (length == 0) return py::bytes();
            return FillNewBytes(length, S3Uri(bucket, key), [&](std::span<std::byte> out) {
              return c.GetRange(bucket, key, ByteRange{first, first + length - 1}, out,
                                IfMatch(if_match));
            });
          },
          py::arg("bucket"), py::arg("key"), py::arg("first"), py::arg("length"),
          py::arg("if_match") = "", "Bytes [first, first+length) as bytes (fewer at the end).")
      .def(
          "readinto_range",
          [](const ClientHandle& h, const std::string& bucket, const std::string& key,
             uint64_t first, py::object buffer, const std::string& if_match) -> size_t {
            Client& c = h.client();
            BufferView view(buffer, /*writable=*/true);
            std::span<std::byte> out = view.bytes();
            if (out.empty()) return 0;
            return ValueOrThrow(WithoutGil([&] {
                                  return c.GetRange(bucket, key,
                                                    ByteRange{first, first + out.size() - 1}, out,
                                                    IfMatch(if_match));
                                }),
                                S3Uri(bucket, key));
          },
          py::arg("bucket"), py::arg("key"), py::arg("first"), py::arg("buffer"),
          py::arg("if_match") = "",
          "Bytes from `first` straight into `buffer` (one ranged GET); returns how many.")
      .def(
          "readinto_parallel",
          [](const ClientHandle& h, const std::string& bucket, const std::string& key,
             py::object buffer, const std::string& if_match, size_t concurrency) {
            Client& c = h.client();
            BufferView view(buffer, /*writable=*/true);
            ParallelGetOptions options{
                .part_size = c.options().part_size,
                .concurrency = concurrency > 0 ? concurrency : c.options().max_connections,
                .etag = if_match};
            std::span<std::byte> out = view.bytes();
            CheckOk(WithoutGil([&] { return ParallelGet(c, bucket, key, out, options); }),
                    S3Uri(bucket, key));
          },
          py::arg("bucket"), py::arg("key"), py::arg("buffer"), py::arg("if_match") = "",
          py::arg("concurrency") = 0,
          "The object's first len(buffer) bytes into `buffer` as parallel ranged GETs.")
      .def(
          "get_parallel",
          [](const ClientHandle& h, const std::string& bucket, const std::string& key, size_t size,
             const std::string& if_match, size_t concurrency) {
            Client& c = h.client();
            ParallelGetOptions options{
                .part_size = c.options().part_size,
                .concurrency = concurrency > 0 ? concurrency : c.options().max_connections,
                .etag = if_match};
            return FillNewBytes(size, S3Uri(bucket, key),
                                [&](std::span<std::byte> out) -> Result<size_t> {
                                  TL_RETURN_IF_ERROR(ParallelGet(c, bucket, key, out, options));
                                  return out.size();
                                });
          },
          py::arg("bucket"), py::arg("key"), py::arg("size"), py::arg("if_match") = "",
          py::arg("concurrency") = 0,
          "The object's first `size` bytes as bytes, fetched as parallel ranged GETs.")
      .def(
          "open_reader",
          [](std::shared_ptr<ClientHandle> h, const std::string& bucket, const std::string& key,
             const std::string& if_match) {
            Client& c = h->client();
            std::string uri = S3Uri(bucket, key);
            std::unique_ptr<ObjectReader> reader = ValueOrThrow(
                WithoutGil([&] { return c.OpenReader(bucket, key, IfMatch(if_match)); }), uri);
            return std::make_unique<NativeReader>(std::move(h), std::move(reader), std::move(uri));
          },
          py::arg("bucket"), py::arg("key"), py::arg("if_match") = "")
      .def(
          "open_writer",
          [](std::shared_ptr<ClientHandle> h, const std::string& bucket, const std::string& key,
             const std::string& content_type) {
            Client& c = h->client();
            std::string uri = S3Uri(bucket, key);
            std::unique_ptr<ObjectWriter> writer =
                ValueOrThrow(WithoutGil([&] {
                               return c.OpenWriter(bucket, key, WithContentType(content_type));
                             }),
                             uri);
            return std::make_unique<NativeWriter>(std::move(h), std::move(writer), std::move(uri));
          },
          py::arg("bucket"), py::arg("key"), py::arg("content_type") = "")
      .def(
          "put",
          [](const ClientHandle& h, const std::string& bucket, const std::string& key,
             py::object data) {
            Client& c = h.client();
            BufferView view(data, /*writable=*/false);
            std::span<const std::byte> bytes = view.bytes();
            return ValueOrThrow(WithoutGil([&] { return c.Put(bucket, key, bytes); }),
                                S3Uri(bucket, key))
                .etag;
          },
          py::arg("bucket"), py::arg("key"), py::arg("data"))
      .def(
          "list_page",
          [](const ClientHandle& h, const std::string& bucket, const std::string& prefix,
             const std::string& continuation_token, const std::string& delimiter,
             const std::string& start_after, int max_keys) {
            Client& c = h.client();
            ListOptions options{.prefix = prefix,
                                .delimiter = delimiter,
                                .start_after = start_after,
                                .continuation_token = continuation_token,
                                .max_keys = max_keys};
            ListPage page = ValueOrThrow(WithoutGil([&] { return c.List(bucket, options); }),
                                         S3Uri(bucket, prefix));
            return ListPageToPython(page);
          },
          py::arg("bucket"), py::arg("prefix") = "", py::arg("continuation_token") = "",
          py::arg("delimiter") = "", py::arg("start_after") = "", py::arg("max_keys") = 1000,
          "One ListObjectsV2 page: ([(key, size, etag)], [common prefix], next token or '').")
      .def(
          "delete",
          [](const ClientHandle& h, const std::string& bucket, const std::string& key) {
            Client& c = h.client();
            CheckOk(WithoutGil([&] { return c.Delete(bucket, key); }), S3Uri(bucket, key));
          },
          py::arg("bucket"), py::arg("key"))
      .def(
          "copy",
          [](const ClientHandle& h, const std::string& source_bucket, const std::string& source_key,
             const std::string& bucket, const std::string& key) {
            Client& c = h.client();
            return ValueOrThrow(
                       WithoutGil([&] { return c.Copy(source_bucket, source_key, bucket, key); }),
                       S3Uri(source_bucket, source_key))
                .etag;
          },
          py::arg("source_bucket"), py::arg("source_key"), py::arg("bucket"), py::arg("key"))
      .def(
          "create_bucket",
          [](const ClientHandle& h, const std::string& bucket) {
            Client& c = h.client();
            CheckOk(WithoutGil([&] { return c.CreateBucket(bucket); }), S3Uri(bucket, ""));
          },
          py::arg("bucket"))
      .def(
          "head_bucket",
          [](const ClientHandle& h, const std::string& bucket) {
            Client& c = h.client();
            CheckOk(WithoutGil([&] { return c.HeadBucket(bucket); }), S3Uri(bucket, ""));
          },
          py::arg("bucket"));
}

}  // namespace
}  // namespace trainload::python

PYBIND11_MODULE(_trainload, m) {
  m.doc() = "Native bindings of the trainload S3 client (use trainload.torch)";
  trainload::python::BindObjectInfo(m);
  trainload::python::BindReaderWriter(m);
  trainload::python::BindClient(m);
}
