// Tests of TcpFaultProxy (the fault-injecting TCP proxy for integration
// tests) against small servers of the test's own: plain forwarding, cuts,
// and corruption of a large gRPC message in hand-built h2c traffic and in a
// real gRPC call. Each test runs on one thread plus the servers' threads.
#include "tests/integration/tcp_fault_proxy.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace xenia::testing {
namespace {

constexpr int kIoTimeoutSeconds = 20;

void SetTimeouts(int fd) {
  timeval tv = {kIoTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

// A blocking client socket connected to 127.0.0.1:port, or -1.
int ConnectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  SetTimeouts(fd);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr = Loopback(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends all of `data` in pieces of the given sizes (cycled); false on error.
bool SendAll(int fd, const std::string& data, const std::vector<size_t>& pieces = {1 << 20}) {
  size_t off = 0;
  for (size_t i = 0; off < data.size(); ++i) {
    size_t len = std::min(pieces[i % pieces.size()], data.size() - off);
    size_t end = off + len;
    while (off < end) {
      ssize_t n = send(fd, data.data() + off, end - off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      off += static_cast<size_t>(n);
    }
  }
  return true;
}

// Reads until EOF or error; `*err` gets 0 on EOF, else the errno.
std::string ReadToEnd(int fd, int* err) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      *err = 0;
      return out;
    } else if (errno != EINTR) {
      *err = errno;
      return out;
    }
  }
}

std::string Pattern(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  uint32_t x = seed;
  for (auto& c : out) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

// A TCP server on 127.0.0.1 that echoes or just collects what each
// connection sends, one thread per connection.
class TestServer {
 public:
  enum class Mode { kEcho, kSink };
  struct Conn {
    std::string received;
    int end_errno = 0;  // 0: ended with EOF.
  };

  explicit TestServer(Mode mode) : mode_(mode) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Loopback(0);
    socklen_t len = sizeof(addr);
    if (listen_fd_ < 0 ||
        bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        listen(listen_fd_, 16) != 0 || pipe(wake_) != 0) {
      ADD_FAILURE() << "test server: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestServer() {
    if (acceptor_.joinable()) {
      char c = 0;
      EXPECT_EQ(write(wake_[1], &c, 1), 1);
      acceptor_.join();
    }
    for (auto& t : threads_) t.join();
    for (int fd : {listen_fd_, wake_[0], wake_[1]}) {
      if (fd >= 0) close(fd);
    }
  }

  int port() const { return port_; }

  int accepted() const {
    absl::MutexLock lock(&mu_);
    return accepted_;
  }

  // Waits for `count` connections to have ended and returns them in the
  // order they ended (fewer on timeout).
  std::vector<Conn> WaitFinished(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] {
      mu_.AssertHeld();
      return finished_.size() >= count;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(kIoTimeoutSeconds));
    return finished_;
  }

 private:
  void AcceptLoop() {
    for (;;) {
      pollfd fds[2] = {{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
      if (fds[0].revents != 0) return;
      if (fds[1].revents == 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      SetTimeouts(fd);
      {
        absl::MutexLock lock(&mu_);
        ++accepted_;
      }
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    Conn conn;
    char buf[65536];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        conn.end_errno = errno;
        break;
      }
      if (mode_ == Mode::kSink) {
        conn.received.append(buf, static_cast<size_t>(n));
      } else if (!SendAll(fd, std::string(buf, static_cast<size_t>(n)))) {
        conn.end_errno = errno;
        break;
      }
    }
    close(fd);
    absl::MutexLock lock(&mu_);
    finished_.push_back(std::move(conn));
  }

  const Mode mode_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::thread acceptor_;
  std::vector<std::thread> threads_;  // Only touched by the accept thread and ~TestServer.
  mutable absl::Mutex mu_;
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Conn> finished_ ABSL_GUARDED_BY(mu_);
};

std::unique_ptr<TcpFaultProxy> StartProxy(int target_port) {
  auto proxy = TcpFaultProxy::Start(target_port);
  EXPECT_TRUE(proxy.ok()) << proxy.status();
  return proxy.ok() ? std::move(*proxy) : nullptr;
}

TEST(TcpFaultProxyTest, ForwardsBothWays) {
  TestServer server(TestServer::Mode::kEcho);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  EXPECT_GT(proxy->port(), 0);
  EXPECT_NE(proxy->port(), server.port());

  std::string data = Pattern(3 << 20, 1);
  int fd = ConnectTo(proxy->port());
  ASSERT_GE(fd, 0);
  bool sent = false;
  std::thread writer([&] {
    sent = SendAll(fd, data, {100, 70000, 1, 4096});
    shutdown(fd, SHUT_WR);
  });
  int err = -1;
  std::string echoed = ReadToEnd(fd, &err);
  writer.join();
  close(fd);
  EXPECT_TRUE(sent);
  EXPECT_EQ(err, 0) << std::strerror(err);
  EXPECT_TRUE(echoed == data) << "echoed " << echoed.size() << " of " << data.size() << " bytes";
  EXPECT_EQ(proxy->client_to_server_bytes(), static_cast<int64_t>(data.size()));
  EXPECT_EQ(proxy->server_to_client_bytes(), static_cast<int64_t>(data.size()));
  EXPECT_EQ(proxy->corrupted_at(), -1);

  // A second connection is forwarded just the same.
  fd = ConnectTo(proxy->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, "hello"));
  char buf[5];
  ASSERT_EQ(recv(fd, buf, sizeof(buf), MSG_WAITALL), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  close(fd);
  auto conns = server.WaitFinished(2);
  ASSERT_EQ(conns.size(), 2u);
  EXPECT_EQ(server.accepted(), 2);
  proxy->Stop();
  proxy->Stop();  // Idempotent.
}

TEST(TcpFaultProxyTest, CutAfterResetsAndRefusesNewConnections) {
  TestServer server(TestServer::Mode::kSink);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  constexpr int64_t kCut = 100000;
  proxy->CutAfter(kCut);

  // Far more than loopback sockets can buffer, so that the reset finds the
  // client still sending.
  std::string data = Pattern(64 << 20, 2);
  int fd = ConnectTo(proxy->port());
  ASSERT_GE(fd, 0);
  bool sent = true;
  std::thread writer([&] { sent = SendAll(fd, data, {5000}); });
  int err = -1;
  std::string got = ReadToEnd(fd, &err);
  writer.join();
  close(fd);
  // The client sees its connection end (reset or EOF), not a timeout, and
  // cannot send everything.
  EXPECT_TRUE(err == 0 || err == ECONNRESET || err == EPIPE) << std::strerror(err);
  EXPECT_TRUE(got.empty());
  EXPECT_FALSE(sent);

  // The server got exactly the bytes before the cut, then a reset.
  auto conns = server.WaitFinished(1);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(proxy->client_to_server_bytes(), kCut);
  EXPECT_EQ(conns[0].received.size(), static_cast<size_t>(kCut));
  EXPECT_TRUE(conns[0].received == data.substr(0, kCut));
  EXPECT_EQ(conns[0].end_errno, ECONNRESET) << std::strerror(conns[0].end_errno);

  // A new connection is accepted and dropped at once, never forwarded.
  fd = ConnectTo(proxy->port());
  ASSERT_GE(fd, 0);
  err = -1;
  got = ReadToEnd(fd, &err);
  close(fd);
  EXPECT_TRUE(err == 0 || err == ECONNRESET) << std::strerror(err);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(TcpFaultProxyTest, CutAfterWithoutRefuseNewIsTransient) {
  TestServer server(TestServer::Mode::kEcho);
  auto proxy = StartProxy(server.port());
  ASSERT_NE(proxy, nullptr);
  int first = ConnectTo(proxy->port());
  ASSERT_GE(first, 0);
  ASSERT_TRUE(SendAll(first, "ping"));
  char buf[4];
  ASSERT_EQ(recv(first, buf, sizeof(buf), MSG_WAITALL), 4);

  // Already past 0 bytes: the cut is immediate.
  proxy->CutAfter(0, /*refuse_new=*/false);
  int err = -1;
  ReadToEnd(first, &err);
  close(first);
  EXPECT_TRUE(err == ECONNRESET || err == 0) << std::strerror(err);

  int second = ConnectTo(proxy->port());
  ASSERT_GE(second, 0);
  ASSERT_TRUE(SendAll(second, "pong"));
  ASSERT_EQ(recv(second, buf, sizeof(buf), MSG_WAITALL), 4);
  EXPECT_EQ(std::string(buf, 4), "pong");
  close(second);
  EXPECT_EQ(server.WaitFinished(2).size(), 2u);
  EXPECT_EQ(proxy->client_to_server_bytes(), 8);
}

// Hand-built client-to-server h2c bytes, with what each byte is: the body
// offset and body length of the gRPC message it belongs to (-1 if it is
// framing).
struct H2Bytes {
  std::string bytes;
  std::vector<int64_t> body_off;
  std::vector<int64_t> body_len;

  void Add(const std::string& s, int64_t first_off = -1, int64_t len = -1) {
    for (size_t i = 0; i < s.size(); ++i) {
      body_off.push_back(first_off < 0 ? -1 : first_off + static_cast<int64_t>(i));
      body_len.push_back(len);
    }
    bytes += s;
  }
  void Frame(uint8_t type, uint8_t flags, uint32_t stream, size_t length) {
    std::string h(9, '\0');
    h[0] = static_cast<char>(length >> 16);
    h[1] = static_cast<char>(length >> 8);
    h[2] = static_cast<char>(length);
    h[3] = static_cast<char>(type);
    h[4] = static_cast<char>(flags);
    for (int i = 0; i < 4; ++i) h[5 + i] = static_cast<char>(stream >> (24 - 8 * i));
    Add(h);
  }
  // Where the proxy must flip a byte once armed at `armed`, or -1.
  int64_t ExpectedFlip(int64_t armed) const {
    for (size_t i = static_cast<size_t>(armed); i < bytes.size(); ++i) {
      if (body_len[i] >= TcpFaultProxy::kMinCorruptBody &&
          body_off[i] >= TcpFaultProxy::kCorruptMargin &&
          body_off[i] < body_len[i] - TcpFaultProxy::kCorruptMargin) {
        return static_cast<int64_t>(i);
      }
    }
    return -1;
  }
};

// DATA content of one stream, with per-byte meaning like H2Bytes.
struct Content {
  std::string bytes;
  std::vector<int64_t> off;
  std::vector<int64_t> len;

  void Append(const Content& other) {
    bytes += other.bytes;
    off.insert(off.end(), other.off.begin(), other.off.end());
    len.insert(len.end(), other.len.begin(), other.len.end());
  }
};

// One gRPC message: the 5-byte prefix and a body of `body_len` bytes.
Content GrpcMessage(size_t body_len, uint32_t seed) {
  Content c;
  c.bytes = std::string(1, '\0');
  for (int i = 0; i < 4; ++i) c.bytes += static_cast<char>(body_len >> (24 - 8 * i));
  c.bytes += Pattern(body_len, seed);
  c.off.assign(5, -1);
  c.len.assign(5, -1);
  for (size_t i = 0; i < body_len; ++i) {
    c.off.push_back(static_cast<int64_t>(i));
    c.len.push_back(static_cast<int64_t>(body_len));
  }
  return c;
}

// Adds a DATA frame carrying content[from, from + n), padded with `pad`
// bytes unless `pad` < 0.
void AddData(H2Bytes* out, uint32_t stream, const Content& content, size_t from, size_t n,
             bool end_stream, int pad = -1) {
  uint8_t flags = end_stream ? 0x1 : 0;
  size_t length = n;
  if (pad >= 0) {
    flags |= 0x8;
    length += 1 + static_cast<size_t>(pad);
  }
  out->Frame(0, flags, stream, length);
  if (pad >= 0) out->Add(std::string(1, static_cast<char>(pad)));
  for (size_t i = from; i < from + n; ++i) {
    out->Add(content.bytes.substr(i, 1), content.off[i], content.len[i]);
  }
  if (pad > 0) out->Add(std::string(static_cast<size_t>(pad), 'P'));
}

void AddPrefaceAndSettings(H2Bytes* out) {
  out->Add("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  out->Frame(4, 0, 0, 6);  // SETTINGS: INITIAL_WINDOW_SIZE = 1 MiB.
  out->Add(std::string("\x00\x04\x00\x10\x00\x00", 6));
}

// Sends `in` through a fresh proxy armed with CorruptAfter(armed) to a sink
// and returns what arrived; `*corrupted_at` gets the proxy's report.
std::string SendThroughCorruptingProxy(const H2Bytes& in, int64_t armed, int64_t* corrupted_at,
                                       const std::vector<size_t>& pieces = {1 << 20}) {
  TestServer server(TestServer::Mode::kSink);
  auto proxy = StartProxy(server.port());
  if (proxy == nullptr) return "";
  proxy->CorruptAfter(armed);
  int fd = ConnectTo(proxy->port());
  EXPECT_GE(fd, 0);
  if (fd < 0) return "";
  EXPECT_TRUE(SendAll(fd, in.bytes, pieces));
  shutdown(fd, SHUT_WR);
  auto conns = server.WaitFinished(1);
  close(fd);
  EXPECT_EQ(conns.size(), 1u);
  if (conns.size() != 1) return "";
  EXPECT_EQ(conns[0].end_errno, 0);
  EXPECT_EQ(proxy->client_to_server_bytes(), static_cast<int64_t>(in.bytes.size()));
  *corrupted_at = proxy->corrupted_at();
  return conns[0].received;
}

// Checks that `out` is `in` with exactly the byte at `at` XORed with 0xFF.
::testing::AssertionResult FlippedOnlyAt(const H2Bytes& in, const std::string& out, int64_t at) {
  if (out.size() != in.bytes.size()) {
    return ::testing::AssertionFailure() << "got " << out.size() << " of " << in.bytes.size();
  }
  std::vector<size_t> diffs;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != in.bytes[i]) diffs.push_back(i);
  }
  if (diffs.size() != 1 || static_cast<int64_t>(diffs[0]) != at) {
    auto failure = ::testing::AssertionFailure() << diffs.size() << " bytes differ:";
    for (size_t i = 0; i < diffs.size() && i < 5; ++i) failure << " " << diffs[i];
    return failure << " (expected only " << at << ")";
  }
  if ((out[diffs[0]] ^ in.bytes[diffs[0]]) != static_cast<char>(0xFF)) {
    return ::testing::AssertionFailure() << "byte " << at << " not XORed with 0xFF";
  }
  return ::testing::AssertionSuccess();
}

TEST(TcpFaultProxyTest, CorruptsOneByteDeepInsideALargeMessage) {
  H2Bytes in;
  AddPrefaceAndSettings(&in);
  in.Frame(1, 0x4, 1, 3);  // HEADERS (END_HEADERS); its block is opaque here.
  in.Add("hdr");
  Content msg = GrpcMessage(200000, 3);
  for (size_t from = 0; from < msg.bytes.size(); from += 16384) {
    size_t n = std::min<size_t>(16384, msg.bytes.size() - from);
    AddData(&in, 1, msg, from, n, from + n == msg.bytes.size());
  }

  int64_t corrupted_at = -2;
  std::string out = SendThroughCorruptingProxy(in, 0, &corrupted_at);
  int64_t expected = in.ExpectedFlip(0);
  ASSERT_GE(expected, 0);
  EXPECT_EQ(in.body_off[static_cast<size_t>(expected)], TcpFaultProxy::kCorruptMargin);
  EXPECT_EQ(corrupted_at, expected);
  EXPECT_TRUE(FlippedOnlyAt(in, out, expected));

  // Armed later: the first eligible byte from there on.
  out = SendThroughCorruptingProxy(in, 100000, &corrupted_at, {1, 9, 13, 5000, 16393});
  expected = in.ExpectedFlip(100000);
  ASSERT_GE(expected, 100000);
  EXPECT_GE(in.body_off[static_cast<size_t>(expected)], TcpFaultProxy::kCorruptMargin);
  EXPECT_EQ(corrupted_at, expected);
  EXPECT_TRUE(FlippedOnlyAt(in, out, expected));

  // Armed too late (within the last 4 KiB of the only large body): nothing.
  out = SendThroughCorruptingProxy(in, static_cast<int64_t>(in.bytes.size()) - 100, &corrupted_at);
  EXPECT_EQ(corrupted_at, -1);
  EXPECT_TRUE(out == in.bytes);
}

TEST(TcpFaultProxyTest, FollowsPaddingAndInterleavedStreams) {
  H2Bytes in;
  AddPrefaceAndSettings(&in);
  in.Frame(8, 0, 0, 4);  // WINDOW_UPDATE
  in.Add(std::string("\x00\x10\x00\x00", 4));
  // Stream 1 sends a small message then a 70000-byte one, stream 3 a
  // 100000-byte one; their DATA frames are interleaved, odd-sized, some
  // padded, and frames hold the end of one message and the start of the
  // next.
  Content s1 = GrpcMessage(1000, 4);
  s1.Append(GrpcMessage(70000, 5));
  Content s3 = GrpcMessage(100000, 6);
  size_t from1 = 0;
  size_t from3 = 0;
  const size_t sizes[] = {777, 3001, 16384, 1, 9, 12345, 5};
  for (size_t i = 0; from1 < s1.bytes.size() || from3 < s3.bytes.size(); ++i) {
    size_t n = sizes[i % 7];
    int pad = (i % 3 == 0) ? static_cast<int>(i % 256) : -1;
    if (from1 < s1.bytes.size()) {
      size_t take = std::min(n, s1.bytes.size() - from1);
      AddData(&in, 1, s1, from1, take, from1 + take == s1.bytes.size(), pad);
      from1 += take;
    }
    if (from3 < s3.bytes.size()) {
      size_t take = std::min(n + 100, s3.bytes.size() - from3);
      AddData(&in, 3, s3, from3, take, from3 + take == s3.bytes.size(), pad);
      from3 += take;
    }
  }

  for (int64_t armed : {int64_t{0}, int64_t{20000}, int64_t{90000}, int64_t{150000}}) {
    int64_t corrupted_at = -2;
    std::string out = SendThroughCorruptingProxy(in, armed, &corrupted_at, {7, 16384, 3});
    int64_t expected = in.ExpectedFlip(armed);
    ASSERT_GE(expected, armed);
    EXPECT_EQ(corrupted_at, expected) << "armed at " << armed;
    EXPECT_TRUE(FlippedOnlyAt(in, out, expected)) << "armed at " << armed;
  }
}

TEST(TcpFaultProxyTest, LeavesOtherTrafficAlone) {
  // Not h2c at all: forwarded untouched even when armed.
  H2Bytes in;
  in.Add(Pattern(300000, 7));
  int64_t corrupted_at = -2;
  std::string out = SendThroughCorruptingProxy(in, 0, &corrupted_at);
  EXPECT_EQ(corrupted_at, -1);
  EXPECT_TRUE(out == in.bytes);
}

// A real gRPC server (generic, no protos) that checks each request against
// Pattern(size, seed 8) and answers "<differing bytes> <first differing
// offset>".
class CheckingService : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    class Reactor : public grpc::ServerGenericBidiReactor {
     public:
      Reactor() { StartRead(&request_); }
      void OnReadDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
          return;
        }
        std::vector<grpc::Slice> slices;
        if (!request_.Dump(&slices).ok()) {
          Finish(grpc::Status(grpc::StatusCode::INTERNAL, "dump"));
          return;
        }
        std::string got;
        for (const auto& s : slices) got.append(reinterpret_cast<const char*>(s.begin()), s.size());
        std::string want = Pattern(got.size(), 8);
        int64_t diffs = 0;
        int64_t first = -1;
        for (size_t i = 0; i < got.size(); ++i) {
          if (got[i] == want[i]) continue;
          if (diffs++ == 0) first = static_cast<int64_t>(i);
        }
        grpc::Slice slice(std::to_string(diffs) + " " + std::to_string(first));
        response_ = grpc::ByteBuffer(&slice, 1);
        StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
      }
      void OnDone() override { delete this; }

     private:
      grpc::ByteBuffer request_;
      grpc::ByteBuffer response_;
    };
    return new Reactor;
  }
};

grpc::Status Check(grpc::GenericStub* stub, const std::string& request, std::string* reply) {
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1);
  grpc::ByteBuffer resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(kIoTimeoutSeconds));
  grpc::Status status;
  absl::Notification done;
  stub->UnaryCall(&ctx, "/xenia.test.Checker/Check", grpc::StubOptions(), &req, &resp,
                  [&](grpc::Status s) {
                    status = std::move(s);
                    done.Notify();
                  });
  done.WaitForNotification();
  reply->clear();
  std::vector<grpc::Slice> slices;
  if (status.ok() && resp.Dump(&slices).ok()) {
    for (const auto& s : slices) reply->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return status;
}

TEST(TcpFaultProxyTest, CorruptsARealGrpcRequestOnce) {
  CheckingService service;
  grpc::ServerBuilder builder;
  int server_port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &server_port);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(server_port, 0);
  auto proxy = StartProxy(server_port);
  ASSERT_NE(proxy, nullptr);

  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(proxy->port()),
                                           grpc::InsecureChannelCredentials(), args);
  grpc::GenericStub stub(channel);
  std::string request = Pattern(200000, 8);
  std::string reply;

  grpc::Status status = Check(&stub, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply, "0 -1");

  int64_t armed = proxy->client_to_server_bytes();
  proxy->CorruptAfter(armed);
  status = Check(&stub, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  int64_t corrupted_at = proxy->corrupted_at();
  EXPECT_GE(corrupted_at, armed);
  int diffs = -1;
  long first = -1;
  ASSERT_EQ(std::sscanf(reply.c_str(), "%d %ld", &diffs, &first), 2) << reply;
  EXPECT_EQ(diffs, 1) << reply;
  EXPECT_GE(first, TcpFaultProxy::kCorruptMargin) << reply;
  EXPECT_LT(first, 200000 - TcpFaultProxy::kCorruptMargin) << reply;

  // Exactly once.
  status = Check(&stub, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply, "0 -1");
  EXPECT_EQ(proxy->corrupted_at(), corrupted_at);

  // A cut link fails the next call instead of hanging it.
  proxy->CutAfter(0);
  status = Check(&stub, request, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();

  channel.reset();
  proxy->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

}  // namespace
}  // namespace xenia::testing
