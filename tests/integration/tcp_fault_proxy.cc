// A fault-injecting TCP proxy for integration tests (see tcp_fault_proxy.h).
//
// Threads: the public methods run on any thread; AcceptLoop() runs on the
// accept thread and ServeConnection() on one thread per connection. Shared
// state is guarded by mu_; a connection's sockets belong to its own thread,
// which is woken through the connection's self-pipe when it must die.
#include "tests/integration/tcp_fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace xenia::testing {
namespace {

constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kPrefaceLen = sizeof(kPreface) - 1;  // 24
constexpr size_t kFrameHeaderLen = 9;
constexpr uint8_t kFrameData = 0x0;
constexpr uint8_t kFrameRstStream = 0x3;
constexpr uint8_t kFlagEndStream = 0x1;
constexpr uint8_t kFlagPadded = 0x8;
constexpr size_t kGrpcPrefixLen = 5;  // compressed flag + 32-bit length
constexpr size_t kBufferSize = 64 * 1024;
// How long a cut connection waits for the kernel to send the bytes it was
// given before the cut (a receiver that does not read may hold them up).
constexpr auto kCutFlushTimeout = std::chrono::seconds(5);

// How a connection is told to end: kCut resets both sides once the
// client-to-server bytes already taken are flushed; kStop closes at once.
enum KillMode : int { kAlive = 0, kCut = 1, kStop = 2 };

absl::Status ErrnoError(const std::string& what, int err) {
  return absl::InternalError(absl::StrCat(what, ": ", std::generic_category().message(err)));
}

uint32_t ReadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Closes `fd` with a TCP reset instead of an orderly FIN.
void ResetAndClose(int fd) {
  struct linger lg = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  close(fd);
}

// Bytes written to `fd` that the kernel has not sent yet (0 on error).
int UnsentBytes(int fd) {
  int unsent = 0;
#ifdef SIOCOUTQNSD
  if (ioctl(fd, SIOCOUTQNSD, &unsent) != 0) return 0;
#else
  if (ioctl(fd, SIOCOUTQ, &unsent) != 0) return 0;
#endif
  return unsent;
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void DrainPipe(int fd) {
  char buf[64];
  while (read(fd, buf, sizeof(buf)) > 0) {
  }
}

void Wake(int fd) {
  char c = 1;
  // A full pipe is already readable, which is all a wake-up needs.
  [[maybe_unused]] ssize_t n = write(fd, &c, 1);
}

// Bytes read from one side and not yet written to the other.
struct Buffer {
  std::vector<uint8_t> data = std::vector<uint8_t>(kBufferSize);
  size_t begin = 0;
  size_t end = 0;
  bool empty() const { return begin == end; }
};

}  // namespace

// Follows the client-to-server byte stream of one connection: the h2c
// preface, HTTP/2 frames and, inside DATA frames, each stream's gRPC message
// framing; flips the byte chosen by the armed CorruptState. Gives up (and
// leaves the rest alone) on anything that is not h2c.
class TcpFaultProxy::H2Parser {
 public:
  // `data[0..n)` are the connection's next bytes, at client-to-server offset
  // `base` (over all connections).
  void Feed(uint8_t* data, size_t n, int64_t base, CorruptState* corrupt) {
    size_t i = 0;
    while (i < n && state_ != State::kOpaque) {
      switch (state_) {
        case State::kPreface: {
          size_t take = std::min(n - i, kPrefaceLen - got_);
          if (std::memcmp(data + i, kPreface + got_, take) != 0) {
            state_ = State::kOpaque;
            break;
          }
          got_ += take;
          i += take;
          if (got_ == kPrefaceLen) {
            got_ = 0;
            state_ = State::kFrameHeader;
          }
          break;
        }
        case State::kFrameHeader: {
          size_t take = std::min(n - i, kFrameHeaderLen - got_);
          std::memcpy(header_ + got_, data + i, take);
          got_ += take;
          i += take;
          if (got_ < kFrameHeaderLen) break;
          got_ = 0;
          frame_left_ = (uint32_t{header_[0]} << 16) | (uint32_t{header_[1]} << 8) | header_[2];
          type_ = header_[3];
          flags_ = header_[4];
          stream_id_ = ReadBe32(header_ + 5) & 0x7fffffffu;
          if (type_ == kFrameRstStream) streams_.erase(stream_id_);
          if (type_ != kFrameData) {
            state_ = State::kSkip;
          } else if (flags_ & kFlagPadded) {
            state_ = frame_left_ == 0 ? State::kOpaque : State::kPadLength;
          } else {
            data_left_ = frame_left_;
            state_ = State::kData;
          }
          MaybeEndFrame();
          break;
        }
        case State::kPadLength: {
          uint32_t pad = data[i++];
          --frame_left_;
          if (pad > frame_left_) {
            state_ = State::kOpaque;
            break;
          }
          data_left_ = frame_left_ - pad;
          state_ = State::kData;
          MaybeEndFrame();
          break;
        }
        case State::kData: {
          size_t take = std::min<size_t>(n - i, data_left_);
          FeedGrpc(&streams_[stream_id_], data + i, take, base + static_cast<int64_t>(i), corrupt);
          if (corrupt->cut_point >= 0) return;  // Nothing past the cut matters.
          i += take;
          data_left_ -= static_cast<uint32_t>(take);
          frame_left_ -= static_cast<uint32_t>(take);
          MaybeEndFrame();
          break;
        }
        case State::kSkip: {
          size_t take = std::min<size_t>(n - i, frame_left_);
          i += take;
          frame_left_ -= static_cast<uint32_t>(take);
          MaybeEndFrame();
          break;
        }
        case State::kOpaque:
          break;
      }
    }
  }

 private:
  enum class State { kPreface, kFrameHeader, kPadLength, kData, kSkip, kOpaque };

  // gRPC message framing of one HTTP/2 stream.
  struct GrpcStream {
    uint8_t prefix[kGrpcPrefixLen] = {};
    size_t prefix_got = 0;  // < kGrpcPrefixLen: reading a message prefix.
    int64_t body_len = 0;
    int64_t body_off = 0;
    bool alter = false;  // this message's last body byte is to be altered
  };

  static void FeedGrpc(GrpcStream* s, uint8_t* data, size_t n, int64_t base,
                       CorruptState* corrupt) {
    size_t k = 0;
    while (k < n) {
      if (s->prefix_got < kGrpcPrefixLen) {
        size_t take = std::min(n - k, kGrpcPrefixLen - s->prefix_got);
        std::memcpy(s->prefix + s->prefix_got, data + k, take);
        s->prefix_got += take;
        k += take;
        if (s->prefix_got == kGrpcPrefixLen) {
          s->body_len = ReadBe32(s->prefix + 1);
          s->body_off = 0;
          if (s->body_len == 0) s->prefix_got = 0;
        }
        continue;
      }
      int64_t take = std::min<int64_t>(static_cast<int64_t>(n - k), s->body_len - s->body_off);
      if (corrupt->cut_first_byte >= 0 && s->body_off == 0 && take > 0 &&
          data[k] == static_cast<uint8_t>(corrupt->cut_first_byte)) {
        corrupt->cut_point = base + static_cast<int64_t>(k);
        corrupt->cut_first_byte = -1;
        return;
      }
      if (corrupt->alter_first_byte >= 0 && s->body_off == 0 && take > 0 &&
          data[k] == static_cast<uint8_t>(corrupt->alter_first_byte)) {
        s->alter = true;
        corrupt->alter_first_byte = -1;
      }
      if (s->alter && take > 0 && s->body_off + take == s->body_len) {
        data[k + static_cast<size_t>(take) - 1] ^= corrupt->alter_mask;
        corrupt->corrupted_at = base + static_cast<int64_t>(k) + take - 1;
        s->alter = false;
      }
      if (corrupt->armed_at >= 0 && s->body_len >= kMinCorruptBody) {
        // The first byte of data[k, k + take) that is past the armed offset
        // and at least kCorruptMargin from either end of the body.
        int64_t at = base + static_cast<int64_t>(k);
        int64_t lo = std::max({int64_t{0}, kCorruptMargin - s->body_off, corrupt->armed_at - at});
        int64_t hi = std::min(take, s->body_len - kCorruptMargin - s->body_off);
        if (lo < hi) {
          data[k + static_cast<size_t>(lo)] ^= 0xFF;
          corrupt->corrupted_at = at + lo;
          corrupt->armed_at = -1;
        }
      }
      s->body_off += take;
      k += static_cast<size_t>(take);
      if (s->body_off == s->body_len) s->prefix_got = 0;
    }
  }

  void MaybeEndFrame() {
    if (state_ == State::kData && data_left_ == 0) state_ = State::kSkip;  // padding
    if (state_ == State::kSkip && frame_left_ == 0) {
      if (type_ == kFrameData && (flags_ & kFlagEndStream)) streams_.erase(stream_id_);
      state_ = State::kFrameHeader;
    }
  }

  State state_ = State::kPreface;
  size_t got_ = 0;  // Bytes of the preface or frame header seen so far.
  uint8_t header_[kFrameHeaderLen] = {};
  uint8_t type_ = 0;
  uint8_t flags_ = 0;
  uint32_t stream_id_ = 0;
  uint32_t frame_left_ = 0;  // Payload bytes left in the current frame.
  uint32_t data_left_ = 0;   // Of which DATA content (the rest is padding).
  std::map<uint32_t, GrpcStream> streams_;
};

struct TcpFaultProxy::Connection {
  ~Connection() {
    if (wake_rd >= 0) close(wake_rd);
    if (wake_wr >= 0) close(wake_wr);
  }
  // Called with mu_ held; the connection's thread sees it at once.
  void Kill(KillMode mode) {
    if (mode > kill.load()) kill.store(mode);
    Wake(wake_wr);
  }

  int client_fd = -1;  // Owned (and closed) by the connection's thread.
  int wake_rd = -1;
  int wake_wr = -1;
  std::atomic<int> kill{kAlive};
  std::atomic<bool> done{false};
  H2Parser parser;  // Used with mu_ held.
  std::thread thread;
};

TcpFaultProxy::TcpFaultProxy(int target_port) : target_port_(target_port) {}

TcpFaultProxy::~TcpFaultProxy() { Stop(); }

absl::StatusOr<std::unique_ptr<TcpFaultProxy>> TcpFaultProxy::Start(int target_port) {
  if (target_port <= 0 || target_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad target port ", target_port));
  }
  std::unique_ptr<TcpFaultProxy> proxy(new TcpFaultProxy(target_port));
  proxy->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (proxy->listen_fd_ < 0) return ErrnoError("socket", errno);
  int one = 1;
  setsockopt(proxy->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(proxy->listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoError("bind", errno);
  }
  socklen_t len = sizeof(addr);
  if (getsockname(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoError("getsockname", errno);
  }
  proxy->port_ = ntohs(addr.sin_port);
  if (listen(proxy->listen_fd_, 128) != 0) return ErrnoError("listen", errno);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) return ErrnoError("pipe2", errno);
  proxy->wake_rd_ = pipe_fds[0];
  proxy->wake_wr_ = pipe_fds[1];
  TcpFaultProxy* raw = proxy.get();
  proxy->acceptor_ = std::thread([raw] { raw->AcceptLoop(); });
  return proxy;
}

int64_t TcpFaultProxy::client_to_server_bytes() const {
  absl::MutexLock lock(&mu_);
  return c2s_bytes_;
}

int64_t TcpFaultProxy::server_to_client_bytes() const {
  absl::MutexLock lock(&mu_);
  return s2c_bytes_;
}

void TcpFaultProxy::CutAfter(int64_t bytes, bool refuse_new) {
  absl::MutexLock lock(&mu_);
  cut_at_ = std::max<int64_t>(bytes, 0);
  cut_refuse_new_ = refuse_new;
  if (c2s_bytes_ >= cut_at_) TriggerCutLocked();
}

void TcpFaultProxy::CorruptAfter(int64_t bytes) {
  absl::MutexLock lock(&mu_);
  corrupt_.armed_at = std::max<int64_t>(bytes, 0);
  corrupt_.corrupted_at = -1;
}

void TcpFaultProxy::CutBeforeMessageStartingWith(uint8_t first_byte, bool refuse_new) {
  absl::MutexLock lock(&mu_);
  corrupt_.cut_first_byte = first_byte;
  corrupt_.cut_point = -1;
  cut_refuse_new_ = refuse_new;
}

void TcpFaultProxy::AlterLastByteOfMessageStartingWith(uint8_t first_byte, uint8_t mask) {
  absl::MutexLock lock(&mu_);
  corrupt_.alter_first_byte = first_byte;
  corrupt_.alter_mask = mask;
  corrupt_.corrupted_at = -1;
}

bool TcpFaultProxy::cut() const {
  absl::MutexLock lock(&mu_);
  return cut_fired_;
}

void TcpFaultProxy::Heal() {
  absl::MutexLock lock(&mu_);
  dead_ = false;
}

int64_t TcpFaultProxy::corrupted_at() const {
  absl::MutexLock lock(&mu_);
  return corrupt_.corrupted_at;
}

void TcpFaultProxy::Stop() {
  absl::MutexLock stop_lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& conn : conns_) conn->Kill(kStop);
  }
  if (wake_wr_ >= 0) Wake(wake_wr_);
  if (acceptor_.joinable()) acceptor_.join();
  // The accept thread is gone, so no connection is added any more.
  std::vector<std::unique_ptr<Connection>> conns;
  {
    absl::MutexLock lock(&mu_);
    conns.swap(conns_);
  }
  for (auto& conn : conns) conn->thread.join();
  conns.clear();
  for (int* fd : {&listen_fd_, &wake_rd_, &wake_wr_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

void TcpFaultProxy::TriggerCutLocked() {
  cut_fired_ = true;
  cut_at_ = -1;
  dead_ = cut_refuse_new_;
  for (auto& conn : conns_) conn->Kill(kCut);
}

void TcpFaultProxy::ReapConnections() {
  std::vector<std::unique_ptr<Connection>> finished;
  {
    absl::MutexLock lock(&mu_);
    auto alive = std::stable_partition(conns_.begin(), conns_.end(),
                                       [](const auto& conn) { return !conn->done.load(); });
    std::move(alive, conns_.end(), std::back_inserter(finished));
    conns_.erase(alive, conns_.end());
  }
  for (auto& conn : finished) conn->thread.join();
}

void TcpFaultProxy::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{wake_rd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;  // Stop().
    if ((fds[1].revents & POLLIN) == 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) continue;
    ReapConnections();
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    if (dead_) {
      ResetAndClose(fd);
      continue;
    }
    auto conn = std::make_unique<Connection>();
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      ResetAndClose(fd);
      continue;
    }
    conn->wake_rd = pipe_fds[0];
    conn->wake_wr = pipe_fds[1];
    conn->client_fd = fd;
    Connection* raw = conn.get();
    conn->thread = std::thread([this, raw] { ServeConnection(raw); });
    conns_.push_back(std::move(conn));
  }
}

void TcpFaultProxy::OnClientBytes(Connection* conn, uint8_t* data, size_t* n) {
  absl::MutexLock lock(&mu_);
  if (conn->kill.load() != kAlive) {
    *n = 0;
    return;
  }
  int64_t base = c2s_bytes_;
  if (cut_at_ >= 0) {
    *n = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(*n), std::max<int64_t>(cut_at_ - base, 0)));
  }
  conn->parser.Feed(data, *n, base, &corrupt_);
  if (corrupt_.cut_point >= 0) {
    *n = static_cast<size_t>(corrupt_.cut_point - base);
    corrupt_.cut_point = -1;
    c2s_bytes_ += static_cast<int64_t>(*n);
    TriggerCutLocked();
    return;
  }
  c2s_bytes_ += static_cast<int64_t>(*n);
  if (cut_at_ >= 0 && c2s_bytes_ >= cut_at_) TriggerCutLocked();
}

void TcpFaultProxy::OnServerBytes(size_t n) {
  absl::MutexLock lock(&mu_);
  s2c_bytes_ += static_cast<int64_t>(n);
}

void TcpFaultProxy::ServeConnection(Connection* conn) {
  const int client = conn->client_fd;
  bool reset = false;  // End with a reset on both sides (else a plain close).
  int server = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (server >= 0) {
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(target_port_));
    if (connect(server, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 &&
        errno != EINPROGRESS) {
      reset = true;
    }
    // Wait for the connection (or to be killed).
    while (!reset) {
      pollfd fds[2] = {{conn->wake_rd, POLLIN, 0}, {server, POLLOUT, 0}};
      if (poll(fds, 2, -1) < 0 && errno != EINTR) reset = true;
      if (conn->kill.load() != kAlive) reset = true;
      if (reset || fds[1].revents == 0) continue;
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(server, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) reset = true;
      break;
    }
  } else {
    reset = true;
  }

  if (!reset) {
    SetNoDelay(client);
    SetNoDelay(server);
    Buffer c2s;
    Buffer s2c;
    bool client_eof = false;
    bool server_eof = false;
    bool server_shut = false;  // Our write side towards the server is shut.
    bool client_shut = false;
    std::optional<std::chrono::steady_clock::time_point> flush_deadline;
    for (;;) {
      const int mode = conn->kill.load();
      if (mode == kStop) break;
      if (mode == kCut && c2s.empty()) {
        // A reset drops what the kernel has not sent yet, so wait (a
        // little) for the bytes before the cut to leave.
        auto now = std::chrono::steady_clock::now();
        if (!flush_deadline) flush_deadline = now + kCutFlushTimeout;
        if (UnsentBytes(server) > 0 && now < *flush_deadline) {
          pollfd wake = {conn->wake_rd, POLLIN, 0};
          if (poll(&wake, 1, 1) > 0) DrainPipe(conn->wake_rd);
          continue;
        }
        reset = true;
        break;
      }
      // Pass half-closes on once everything before them is through.
      if (client_eof && c2s.empty() && !server_shut) {
        shutdown(server, SHUT_WR);
        server_shut = true;
      }
      if (server_eof && s2c.empty() && !client_shut) {
        shutdown(client, SHUT_WR);
        client_shut = true;
      }
      if (server_shut && client_shut) break;

      short client_events = 0;
      short server_events = 0;
      if (mode == kAlive) {
        if (!client_eof && c2s.empty()) client_events |= POLLIN;
        if (!server_eof && s2c.empty()) server_events |= POLLIN;
        if (!s2c.empty()) client_events |= POLLOUT;
      }
      if (!c2s.empty()) server_events |= POLLOUT;
      pollfd fds[3] = {{conn->wake_rd, POLLIN, 0},
                       {client_events != 0 ? client : -1, client_events, 0},
                       {server_events != 0 ? server : -1, server_events, 0}};
      if (poll(fds, 3, -1) < 0) {
        if (errno == EINTR) continue;
        reset = true;
        break;
      }
      if (fds[0].revents != 0) {
        DrainPipe(conn->wake_rd);
        continue;  // Look at the kill mode first.
      }

      bool failed = false;
      if ((client_events & POLLIN) && fds[1].revents != 0) {
        ssize_t n = recv(client, c2s.data.data(), c2s.data.size(), 0);
        if (n > 0) {
          size_t taken = static_cast<size_t>(n);
          OnClientBytes(conn, c2s.data.data(), &taken);
          c2s.begin = 0;
          c2s.end = taken;
        } else if (n == 0) {
          client_eof = true;
        } else if (errno != EAGAIN && errno != EINTR) {
          failed = true;
        }
      }
      if ((server_events & POLLIN) && fds[2].revents != 0) {
        ssize_t n = recv(server, s2c.data.data(), s2c.data.size(), 0);
        if (n > 0) {
          OnServerBytes(static_cast<size_t>(n));
          s2c.begin = 0;
          s2c.end = static_cast<size_t>(n);
        } else if (n == 0) {
          server_eof = true;
        } else if (errno != EAGAIN && errno != EINTR) {
          failed = true;
        }
      }
      if ((server_events & POLLOUT) && fds[2].revents != 0) {
        ssize_t n = send(server, c2s.data.data() + c2s.begin, c2s.end - c2s.begin, MSG_NOSIGNAL);
        if (n >= 0) {
          c2s.begin += static_cast<size_t>(n);
        } else if (errno != EAGAIN && errno != EINTR) {
          failed = true;
        }
      }
      if ((client_events & POLLOUT) && fds[1].revents != 0) {
        ssize_t n = send(client, s2c.data.data() + s2c.begin, s2c.end - s2c.begin, MSG_NOSIGNAL);
        if (n >= 0) {
          s2c.begin += static_cast<size_t>(n);
        } else if (errno != EAGAIN && errno != EINTR) {
          failed = true;
        }
      }
      if (failed) {
        // One side reset or failed: pass that on to the other side.
        reset = true;
        break;
      }
    }
  }

  if (reset) {
    ResetAndClose(client);
    if (server >= 0) ResetAndClose(server);
  } else {
    close(client);
    close(server);
  }
  conn->done.store(true);
}

}  // namespace xenia::testing
