#include "cli/command_env.h"

#include "absl/strings/str_cat.h"
#include "cli/exit_codes.h"

namespace xenia::cli {

CommandEnv::CommandEnv(const GlobalOptions& options, std::ostream& out, std::ostream& err,
                       std::istream& in, bool err_is_tty, const BinaryStdio& binary)
    : options_(options),
      format_(ParseOutputFormat(options.output).value_or(OutputFormat::kTable)),
      out_(out),
      err_(err),
      in_(in),
      err_is_tty_(err_is_tty),
      binary_(binary) {}

Connection& CommandEnv::conn() {
  if (conn_ == nullptr) conn_ = std::make_unique<Connection>(options_.socket);
  return *conn_;
}

int CommandEnv::RpcError(const grpc::Status& status) {
  std::string message = status.error_message();
  if (message.empty()) message = absl::StrCat("call failed with code ", status.error_code());
  // UNAVAILABLE from a channel that never connected means xeniad is not
  // there; from a connected one, xeniad itself said so.
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      (conn_ == nullptr || !conn_->Connected())) {
    err_ << "xenia: cannot reach xeniad at " << conn().target() << ": " << message
         << " (is xeniad running? use --socket or XENIA_SOCKET)\n";
  } else {
    err_ << "xenia: " << message << "\n";
  }
  err_.flush();
  return ExitCodeFor(status.error_code());
}

int CommandEnv::LocalError(const absl::Status& status) {
  err_ << "xenia: " << status.message() << "\n";
  err_.flush();
  return ExitCodeFor(status.code());
}

int CommandEnv::UsageError(absl::string_view message) {
  err_ << "xenia: " << message << "\n";
  err_.flush();
  return kExitUsage;
}

int CommandEnv::PrintMessage(const google::protobuf::Message& msg) {
  absl::StatusOr<std::string> text = FormatMessage(msg, format_);
  if (!text.ok()) return LocalError(text.status());
  out_ << *text;
  out_.flush();
  return kExitOk;
}

}  // namespace xenia::cli
