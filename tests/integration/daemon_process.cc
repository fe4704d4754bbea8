#include "tests/integration/daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "grpcpp/generic/generic_stub.h"

extern char** environ;

namespace xenia::testing {
namespace {

// Spawns `argv` with stdin from `in_fd`, stdout to `out_fd`, stderr to
// `err_fd` (-1: inherit / /dev/null for stdin). The child is killed if this
// process dies first (setpriv --pdeathsig, util-linux): a test that crashes
// leaves no daemon behind holding ctest's output pipe open.
pid_t Spawn(const std::vector<std::string>& command, int in_fd, int out_fd, int err_fd) {
  std::vector<std::string> argv = {"/usr/bin/setpriv", "--pdeathsig", "KILL", "--"};
  argv.insert(argv.end(), command.begin(), command.end());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

std::vector<std::string> DaemonArgv(const DaemonOptions& o) {
  std::vector<std::string> argv = {XENIAD_PATH, "--backend", "sim",    "--state-dir",
                                   o.state_dir, "--socket",  o.socket, "--log-level",
                                   "debug",     "--host-id", o.host_id};
  if (o.fast_guests) {
    for (const char* a : {"--sim-boot-time", "0s", "--sim-shutdown-time", "50ms"}) {
      argv.push_back(a);
    }
  }
  argv.insert(argv.end(), o.args.begin(), o.args.end());
  return argv;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string templ =
      absl::StrCat(base != nullptr && base[0] != '\0' ? base : "/tmp", "/xenia-test-XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  char* made = mkdtemp(buf.data());
  path_ = made != nullptr ? made : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<DaemonProcess> DaemonProcess::Start(const DaemonOptions& options,
                                                    std::string* failure_log) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return nullptr;
  pid_t pid = Spawn(DaemonArgv(options), -1, -1, pipe_fds[1]);
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    return nullptr;
  }
  std::unique_ptr<DaemonProcess> d(new DaemonProcess(options, pid, pipe_fds[0]));
  // Ready, or gone: the reader sees EOF when the process exits.
  bool ready = d->WaitForLog("msg=\"xeniad ready\"", absl::Seconds(60));
  if (!ready) {
    if (failure_log != nullptr) *failure_log = d->log();
    d->Kill();
    return nullptr;
  }
  return d;
}

int DaemonProcess::RunExpectingFailure(const DaemonOptions& options, std::string* log) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = Spawn(DaemonArgv(options), -1, -1, pipe_fds[1]);
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    return -1;
  }
  // Read until it exits; should it start after all, stop it (SIGTERM) rather
  // than wait forever.
  std::string text;
  bool stopped = false;
  char buf[4096];
  while (true) {
    ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (!stopped && text.find("msg=\"xeniad ready\"") != std::string::npos) {
      stopped = true;
      kill(pid, SIGTERM);
    }
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (log != nullptr) *log = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

DaemonProcess::DaemonProcess(DaemonOptions options, pid_t pid, int stderr_fd)
    : options_(std::move(options)), pid_(pid) {
  reader_ = std::thread([this, stderr_fd] { ReadLoop(stderr_fd); });
}

DaemonProcess::~DaemonProcess() {
  if (!exited_) Kill();
  if (reader_.joinable()) reader_.join();
}

void DaemonProcess::ReadLoop(int fd) {
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (n <= 0) {
      eof_ = true;
      cv_.notify_all();
      break;
    }
    log_.append(buf, static_cast<size_t>(n));
    cv_.notify_all();
  }
  close(fd);
}

int DaemonProcess::WaitExit() {
  if (exited_) return exit_status_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exited_ = true;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (reader_.joinable()) reader_.join();
  return exit_status_;
}

int DaemonProcess::Stop() {
  if (exited_) return exit_status_;
  channel_.reset();
  domains_.reset();
  hosts_.reset();
  operations_.reset();
  simulator_.reset();
  kill(pid_, SIGTERM);
  return WaitExit();
}

void DaemonProcess::Kill() {
  if (exited_) return;
  kill(pid_, SIGKILL);
  WaitExit();
}

std::string DaemonProcess::log() {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

bool DaemonProcess::WaitForLog(const std::string& text, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    return log_.find(text) != std::string::npos || eof_;
  }) && log_.find(text) != std::string::npos;
}

std::shared_ptr<grpc::Channel> DaemonProcess::channel() {
  if (channel_ == nullptr) {
    channel_ = grpc::CreateChannel("unix:" + options_.socket, grpc::InsecureChannelCredentials());
  }
  return channel_;
}

xenia::v1::DomainService::Stub& DaemonProcess::domains() {
  if (domains_ == nullptr) domains_ = xenia::v1::DomainService::NewStub(channel());
  return *domains_;
}

xenia::v1::HostService::Stub& DaemonProcess::hosts() {
  if (hosts_ == nullptr) hosts_ = xenia::v1::HostService::NewStub(channel());
  return *hosts_;
}

xenia::v1::OperationService::Stub& DaemonProcess::operations() {
  if (operations_ == nullptr) operations_ = xenia::v1::OperationService::NewStub(channel());
  return *operations_;
}

xenia::v1::SimulatorService::Stub& DaemonProcess::simulator() {
  if (simulator_ == nullptr) simulator_ = xenia::v1::SimulatorService::NewStub(channel());
  return *simulator_;
}

CliResult RunCli(const std::string& socket, const std::vector<std::string>& args,
                 const std::string& stdin_text) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return {};
  }
  std::vector<std::string> argv = {XENIA_CLI_PATH, "--socket", socket};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = Spawn(argv, in[0], out[1], err[1]);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // A CLI that stops reading stdin early (xeniad refused the upload) must
  // not take the test down with SIGPIPE: the write fails with EPIPE instead.
  ::signal(SIGPIPE, SIG_IGN);
  std::thread writer([fd = in[1], stdin_text] {
    size_t done = 0;
    while (done < stdin_text.size()) {
      ssize_t n = write(fd, stdin_text.data() + done, stdin_text.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fd);
  });
  CliResult result;
  std::thread err_reader([&] { result.err = ReadAll(err[0]); });
  result.out = ReadAll(out[0]);
  err_reader.join();
  writer.join();
  close(out[0]);
  close(err[0]);
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  result.exit_code =
      pid < 0 ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return result;
}

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout));
  return ctx;
}

std::string DomainName(const std::string& name) { return "hosts/-/domains/" + name; }

std::shared_ptr<grpc::Channel> TcpChannel(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

std::string LogField(const std::string& log, const std::string& msg, const std::string& key) {
  size_t at = log.find(msg);
  if (at == std::string::npos) return "";
  size_t end = log.find('\n', at);
  std::string line = log.substr(at, end == std::string::npos ? std::string::npos : end - at);
  std::string wanted = " " + key + "=";
  size_t k = line.find(wanted);
  if (k == std::string::npos) return "";
  size_t start = k + wanted.size();
  size_t stop = line.find(' ', start);
  return line.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
}

namespace {

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// Waits for the next completion; the callers below have one operation in
// flight at a time, so it is the one they just started.
bool NextOk(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  return cq.Next(&tag, &ok) && ok;
}

void Drain(grpc::CompletionQueue& cq) {
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace

grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          const std::string& request, std::string* response,
                          absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::ClientContext> ctx = Context(timeout);
  grpc::Status status;
  grpc::ByteBuffer reply;
  {
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        stub.PrepareUnaryCall(ctx.get(), method, ToByteBuffer(request), &cq);
    call->StartCall();
    call->Finish(&reply, &status, reinterpret_cast<void*>(1));
    NextOk(cq);
  }
  Drain(cq);
  if (status.ok() && response != nullptr) *response = FromByteBuffer(reply);
  return status;
}

grpc::Status RawBidiCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                         const std::vector<std::string>& requests,
                         std::vector<std::string>* responses, absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::ClientContext> ctx = Context(timeout);
  grpc::Status status;
  {
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
        stub.PrepareCall(ctx.get(), method, &cq);
    void* tag = reinterpret_cast<void*>(1);
    call->StartCall(tag);
    if (NextOk(cq)) {
      bool writing = true;
      for (const std::string& r : requests) {
        call->Write(ToByteBuffer(r), tag);
        if (!NextOk(cq)) {
          writing = false;
          break;
        }
      }
      if (writing) {
        call->WritesDone(tag);
        NextOk(cq);
      }
      while (true) {
        grpc::ByteBuffer buffer;
        call->Read(&buffer, tag);
        if (!NextOk(cq)) break;
        if (responses != nullptr) responses->push_back(FromByteBuffer(buffer));
      }
    }
    call->Finish(&status, tag);
    NextOk(cq);
  }
  Drain(cq);
  return status;
}

}  // namespace xenia::testing
