// CommandEnv: what a command needs while it runs — the global flags, where to
// print and in which format, whether stderr is a terminal, the raw stdin and
// stdout for binary data (save -, restore -), and the connection
// to xeniad (opened on first use, so `xenia version` never dials). It also
// turns errors into the message a person reads and the exit code a script
// reads.
//
// Thread-compatible: the CLI runs one command on its main thread.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/connection.h"
#include "cli/output/json_yaml.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"

namespace xenia::cli {

inline constexpr absl::string_view kDefaultSocket = "/run/xenia/xeniad.sock";

// The flags every command takes.
struct GlobalOptions {
  std::string socket = std::string(kDefaultSocket);
  std::string output = "table";
};

// The process's stdin and stdout as file descriptors, for the commands that
// move binary images through them (`save NAME -`, `restore -`); the streams
// of CommandEnv carry text. The descriptors are borrowed, never closed.
struct BinaryStdio {
  // -1: not available (the command then refuses to stream).
  int in_fd = -1;
  int out_fd = -1;
  bool in_is_tty = false;
  bool out_is_tty = false;
};

class CommandEnv {
 public:
  // `out`, `err` and `in` are borrowed and must outlive the env.
  CommandEnv(const GlobalOptions& options, std::ostream& out, std::ostream& err, std::istream& in,
             bool err_is_tty, const BinaryStdio& binary = BinaryStdio());

  OutputFormat format() const { return format_; }
  bool table() const { return format_ == OutputFormat::kTable; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  std::istream& in() { return in_; }
  bool err_is_tty() const { return err_is_tty_; }
  const BinaryStdio& binary() const { return binary_; }

  Connection& conn();

  // Prints "xenia: <message>" to stderr — or, when xeniad could not be
  // reached, "xenia: cannot reach xeniad at unix:PATH: <message> (is xeniad
  // running? use --socket or XENIA_SOCKET)" — and returns the exit code.
  int RpcError(const grpc::Status& status);

  // Prints "xenia: <message>" and returns the exit code for its code.
  int LocalError(const absl::Status& status);

  // Prints "xenia: <message>" and returns kExitUsage.
  int UsageError(absl::string_view message);

  // Prints `msg` as JSON or YAML (the format must not be table).
  int PrintMessage(const google::protobuf::Message& msg);

 private:
  GlobalOptions options_;
  OutputFormat format_;
  std::ostream& out_;
  std::ostream& err_;
  std::istream& in_;
  const bool err_is_tty_;
  const BinaryStdio binary_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace xenia::cli
