// A fault-injecting TCP proxy for integration tests. It sits between two
// endpoints on loopback (e.g. daemon A talking gRPC to daemon B): clients
// connect to port(), and each connection is forwarded to 127.0.0.1:target.
// On demand it cuts every connection abruptly (CutAfter) or flips one byte
// inside a large gRPC message body in the client-to-server direction
// (CorruptAfter), parsing h2c (plaintext HTTP/2 with prior knowledge) frames
// and gRPC message framing to find a byte far from any framing.
//
// Thread-safety: every public method may be called from any thread at any
// time. The proxy runs one accept thread and one thread per connection;
// Stop() (or the destructor) wakes and joins them all.
#pragma once

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace xenia::testing {

class TcpFaultProxy {
 public:
  // Listens on 127.0.0.1 with an ephemeral port and forwards each accepted
  // connection to 127.0.0.1:target_port.
  static absl::StatusOr<std::unique_ptr<TcpFaultProxy>> Start(int target_port);
  ~TcpFaultProxy();
  TcpFaultProxy(const TcpFaultProxy&) = delete;
  TcpFaultProxy& operator=(const TcpFaultProxy&) = delete;

  // The port the proxy listens on.
  int port() const { return port_; }

  // Bytes taken from clients for forwarding to the server (all connections
  // since Start).
  int64_t client_to_server_bytes() const;
  // Bytes taken from the server for forwarding to clients.
  int64_t server_to_client_bytes() const;

  // Once the client-to-server byte count reaches `bytes` (at once if it
  // already has), every open connection is reset on both sides (SO_LINGER
  // 0): no client-to-server byte past `bytes` is forwarded, the ones before
  // it are (the reset waits up to 5s for the kernel to send them, should
  // the server not be reading). Fires once. Afterwards, if `refuse_new`, new connections are
  // accepted and reset at once (a dead link); otherwise they are forwarded
  // normally again (a transient cut).
  void CutAfter(int64_t bytes, bool refuse_new = true);

  // Arms a single corruption: the first client-to-server byte at a byte
  // offset >= `bytes` that lies in the body of a gRPC message (in HTTP/2
  // DATA frames) whose body is >= 64 KiB, at body offset >= 4096 and at
  // least 4096 bytes before the body's end, is XORed with 0xFF. Everything
  // else is forwarded unchanged. Calling it again re-arms it.
  void CorruptAfter(int64_t bytes);
  // The client-to-server byte offset (counted like client_to_server_bytes())
  // of the byte flipped by the last CorruptAfter, or -1 if none yet.
  int64_t corrupted_at() const;

  // Arms a cut at a message: the first client-to-server gRPC message whose
  // body begins with `first_byte` (a protobuf field's tag byte, e.g. 0x1A for
  // field 3 of a oneof of messages) is not forwarded; every connection is
  // reset right before its body, as CutAfter does (with `refuse_new` the
  // same way). Fires once.
  void CutBeforeMessageStartingWith(uint8_t first_byte, bool refuse_new = true);
  // Arms a single alteration: the last body byte of the first
  // client-to-server gRPC message whose body begins with `first_byte` is
  // XORed with `mask` (e.g. 0x01 keeps a hex digit printable while changing
  // it). corrupted_at() then says where.
  void AlterLastByteOfMessageStartingWith(uint8_t first_byte, uint8_t mask);
  // Whether a cut has fired.
  bool cut() const;
  // After a cut with refuse_new: new connections are forwarded again.
  void Heal();

  // Closes the listener and every connection and joins every thread.
  // Idempotent; also done by the destructor.
  void Stop();

  // Gates for which message bodies may be corrupted (see CorruptAfter).
  static constexpr int64_t kMinCorruptBody = 65536;
  static constexpr int64_t kCorruptMargin = 4096;

 private:
  struct Connection;
  struct CorruptState {
    int64_t armed_at = -1;  // -1: not armed.
    int64_t corrupted_at = -1;
    // CutBeforeMessageStartingWith: the byte (-1: not armed), and where the
    // message's body begins once found (the cut point; -1: not yet).
    int cut_first_byte = -1;
    int64_t cut_point = -1;
    // AlterLastByteOfMessageStartingWith: the byte (-1: not armed) and the
    // mask.
    int alter_first_byte = -1;
    uint8_t alter_mask = 0;
  };
  class H2Parser;

  explicit TcpFaultProxy(int target_port);
  void AcceptLoop();
  void ServeConnection(Connection* conn);
  // Accounts for `*n` client bytes in `data` read on `conn`: may shorten
  // `*n` (cut), flip a byte in `data` (corruption) and trigger the cut.
  void OnClientBytes(Connection* conn, uint8_t* data, size_t* n);
  void OnServerBytes(size_t n);
  void TriggerCutLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Joins and frees the connections whose threads have finished.
  void ReapConnections();

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_rd_ = -1;  // Self-pipe that wakes the accept thread on Stop.
  int wake_wr_ = -1;
  std::thread acceptor_;

  absl::Mutex stop_mu_;  // Serialises Stop().
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t c2s_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t s2c_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t cut_at_ ABSL_GUARDED_BY(mu_) = -1;  // -1: not armed.
  bool cut_refuse_new_ ABSL_GUARDED_BY(mu_) = true;
  bool dead_ ABSL_GUARDED_BY(mu_) = false;  // New connections are reset.
  bool cut_fired_ ABSL_GUARDED_BY(mu_) = false;
  CorruptState corrupt_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Connection>> conns_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xenia::testing
