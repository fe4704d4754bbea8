// Test harness for integration tests: runs the real xeniad binary on a
// temporary state directory and unix socket, talks to it over real gRPC, and
// runs the real xenia CLI against it.
//
// Thread-safety: a DaemonProcess is used by one test thread; its stderr is
// read on a thread of its own.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "xenia/v1/domain_service.grpc.pb.h"
#include "xenia/v1/host.grpc.pb.h"
#include "xenia/v1/operation.grpc.pb.h"
#include "xenia/v1/simulator.grpc.pb.h"

namespace xenia::testing {

// A directory under $TMPDIR (short enough for unix socket paths), removed
// with everything in it when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct DaemonOptions {
  std::string state_dir;
  std::string socket;
  // Extra flags, e.g. {"--sim-memory", "4G"}.
  std::vector<std::string> args;
  // Defaults that keep tests fast: guests boot and shut down at once.
  bool fast_guests = true;
  std::string host_id = "testhost";
};

class DaemonProcess {
 public:
  // Starts xeniad and waits until it logs that it is ready (or exits).
  // Returns null if it did not become ready; `log()` of the failure is in
  // `failure_log`.
  static std::unique_ptr<DaemonProcess> Start(const DaemonOptions& options,
                                              std::string* failure_log = nullptr);
  // Runs xeniad expecting it to fail to start; returns its exit code and
  // fills `log` with what it wrote. Should it become ready after all, it is
  // stopped with SIGTERM (so the exit code is then usually 0).
  static int RunExpectingFailure(const DaemonOptions& options, std::string* log);
  ~DaemonProcess();

  // SIGTERM, and wait for the process to exit. Returns its exit status.
  int Stop();
  // SIGKILL, and wait.
  void Kill();
  pid_t pid() const { return pid_; }
  const DaemonOptions& options() const { return options_; }

  // Everything the daemon has written to stderr so far.
  std::string log();
  // Waits until stderr contains `text`.
  bool WaitForLog(const std::string& text, absl::Duration timeout);

  std::shared_ptr<grpc::Channel> channel();
  xenia::v1::DomainService::Stub& domains();
  xenia::v1::HostService::Stub& hosts();
  xenia::v1::OperationService::Stub& operations();
  xenia::v1::SimulatorService::Stub& simulator();

 private:
  DaemonProcess(DaemonOptions options, pid_t pid, int stderr_fd);
  void ReadLoop(int fd);
  int WaitExit();

  DaemonOptions options_;
  pid_t pid_;
  bool exited_ = false;
  int exit_status_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string log_;
  bool eof_ = false;
  std::thread reader_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<xenia::v1::DomainService::Stub> domains_;
  std::unique_ptr<xenia::v1::HostService::Stub> hosts_;
  std::unique_ptr<xenia::v1::OperationService::Stub> operations_;
  std::unique_ptr<xenia::v1::SimulatorService::Stub> simulator_;
};

// The outcome of running the xenia CLI.
struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the real xenia binary with `args` against `socket`, with `stdin_text`
// on its stdin.
CliResult RunCli(const std::string& socket, const std::vector<std::string>& args,
                 const std::string& stdin_text = "");

// A ClientContext with a deadline `timeout` from now.
std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(30));

// "hosts/-/domains/NAME".
std::string DomainName(const std::string& name);

// A channel to xeniad's TCP port on 127.0.0.1.
std::shared_ptr<grpc::Channel> TcpChannel(int port);

// The value of `key=` on the first log line that contains `msg`, or "" (the
// daemon logs in logfmt: `... msg="listening on TCP" address=... port=N`).
std::string LogField(const std::string& log, const std::string& msg, const std::string& key);

// Calls a unary method by its full name ("/pkg.Service/Method") with a
// hand-encoded request, for services whose generated code the tests do not
// have (gRPC health, reflection). `response` gets the encoded reply.
grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          const std::string& request, std::string* response,
                          absl::Duration timeout = absl::Seconds(30));
// Calls a bidi-streaming method: writes every request, half-closes, and reads
// every response until the server ends the call.
grpc::Status RawBidiCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                         const std::vector<std::string>& requests,
                         std::vector<std::string>* responses,
                         absl::Duration timeout = absl::Seconds(30));

}  // namespace xenia::testing
