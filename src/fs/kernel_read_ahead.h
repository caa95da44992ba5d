// The kernel's read-ahead for a FUSE mount.
//
// FUSE READ requests are as large as the kernel's read-ahead for the mount's backing device
// allows, and that is the system default (128 KiB), not the `max_readahead` the file system
// asks for at init: a sequential reader then costs 8 READs per MiB, and a 256 KiB random read
// three or four, each its own GET. The value lives in /sys/class/bdi/<major>:<minor>/read_ahead_kb,
// writable by root, where <major>:<minor> is the mount's device as /proc/self/mountinfo lists it
// (read from there, not by stat() of the mount point, which would wait for the file system to
// answer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "trainload/status.h"

namespace trainload::fs {

// The "<major>:<minor>" of the last mount at `mountpoint` (an absolute path without a trailing
// slash) in the text of a mountinfo file, or nullopt when there is none. Mount points in that
// file escape space, tab, newline and backslash as octal (\040 ...).
std::optional<std::string> FindMountDevice(std::string_view mountinfo, std::string_view mountpoint);

// Sets the read-ahead of the file system mounted at `mountpoint` to `kib` KiB. Errors name the
// file and the reason (not found in mountinfo, permission denied when not root).
Status SetKernelReadAhead(const std::string& mountpoint, uint32_t kib);

}  // namespace trainload::fs
