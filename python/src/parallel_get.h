// ParallelGet: a whole object (or its first out.size() bytes) into one caller-provided buffer as
// parallel ranged GETs, each part written in place — the in-memory sibling of Client::Download,
// used for checkpoint loads and large samples so that loads are as fast as multipart saves.
//
// Built only on the public client API (include/trainload/client.h): part_size ranges handed out
// to up to `concurrency` threads, each calling Client::GetRange for its range straight into its
// slice of `out`. Every part carries If-Match with `etag` (when given), so an object replaced
// during the transfer fails with PreconditionFailed instead of mixing two versions.
//
// Limitation: GetRange does not verify checksums (the parts' CRCs are not combined against the
// stored full-object checksum as Download does); the public client could offer this directly.
//
// Thread-safe (the Client is); blocks until every part finished or one failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "trainload/client.h"
#include "trainload/status.h"

namespace trainload::python {

struct ParallelGetOptions {
  uint64_t part_size = 8ull << 20;
  size_t concurrency = 8;  // threads; at most one per part
  std::string etag;        // If-Match on every part; empty: none
};

// Fills `out` with the object's bytes [0, out.size()); the caller knows the size (HEAD or a
// listing). Errors: the first failing part's error (NoSuchKey, AccessDenied, PreconditionFailed,
// InvalidRange when the object is shorter), DataLoss when a part came back short.
Status ParallelGet(Client& client, std::string_view bucket, std::string_view key,
                   std::span<std::byte> out, const ParallelGetOptions& options);

}  // namespace trainload::python
