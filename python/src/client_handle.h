// ClientHandle: one trainload::Client owned by the Python module, tied to the process that
// created it.
//
// A Client owns threads (HTTP I/O, transfer pool), and threads do not survive fork(): in a
// DataLoader worker forked from a process that used a client, the inherited copy has no threads
// and may hold locked mutexes. So a handle records the creating pid; in any other process its
// methods refuse to run (the Python layer creates a fresh client per process) and its destructor
// deliberately leaks the Client instead of joining threads that do not exist there.
//
// Readers and writers share ownership of the handle, so the Client outlives them (the contract of
// include/trainload/client.h). Thread-safe, like Client.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "trainload/client.h"

namespace trainload::python {

class ClientHandle {
 public:
  explicit ClientHandle(std::unique_ptr<Client> client)
      : client_(std::move(client)), owner_pid_(::getpid()) {}
  ~ClientHandle() {
    if (!InOwnerProcess()) (void)client_.release();
  }
  ClientHandle(const ClientHandle&) = delete;
  ClientHandle& operator=(const ClientHandle&) = delete;

  bool InOwnerProcess() const { return ::getpid() == owner_pid_; }
  pid_t owner_pid() const { return owner_pid_; }

  // The client; throws RuntimeError in a process other than the creator's (after fork).
  Client& client() const;

 private:
  std::unique_ptr<Client> client_;
  const pid_t owner_pid_;
};

}  // namespace trainload::python
