#include "cli/wait.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/connection.h"
#include "cli/durations.h"
#include "cli/output/render_migration.h"
#include "cli/output/render_operation.h"

namespace xenia::cli {
namespace {

using xenia::v1::Operation;

// Cuts `s` to at most `max` characters without splitting a UTF-8 sequence.
std::string Truncate(const std::string& s, size_t max) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (chars == max) return s.substr(0, i);
      ++chars;
    }
  }
  return s;
}

class BarDisplay : public ProgressDisplay {
 public:
  BarDisplay(std::ostream& err, int columns) : err_(err), columns_(std::max(columns, 20)) {}

  void Update(const Operation& op) override {
    const std::string line = FormatProgressBar(op.progress_percent(), ProgressText(op), 20);
    err_ << '\r' << Truncate(line, static_cast<size_t>(columns_ - 1)) << "\x1b[K" << std::flush;
    drawn_ = true;
  }

  void Finish() override {
    if (drawn_) err_ << "\r\x1b[K" << std::flush;
    drawn_ = false;
  }

 private:
  std::ostream& err_;
  const int columns_;
  bool drawn_ = false;
};

class LineDisplay : public ProgressDisplay {
 public:
  explicit LineDisplay(std::ostream& err) : err_(err) {}

  void Update(const Operation& op) override {
    const std::string text = ProgressText(op);
    if (printed_ && text == last_) return;
    err_ << absl::StrFormat("[%3d%%] ", std::clamp(op.progress_percent(), 0, 100)) << text << "\n"
         << std::flush;
    last_ = text;
    printed_ = true;
  }

  void Finish() override {}

 private:
  std::ostream& err_;
  std::string last_;
  bool printed_ = false;
};

}  // namespace

std::unique_ptr<ProgressDisplay> MakeProgressDisplay(std::ostream& err, bool is_tty, int columns) {
  if (is_tty) return std::make_unique<BarDisplay>(err, columns);
  return std::make_unique<LineDisplay>(err);
}

int StderrColumns() {
  struct winsize ws {};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

std::string FormatProgressBar(int percent, absl::string_view text, int width) {
  percent = std::clamp(percent, 0, 100);
  const int filled = percent * width / 100;
  return absl::StrCat("[", std::string(filled, '#'), std::string(width - filled, '-'), "] ",
                      absl::StrFormat("%3d%%", percent), text.empty() ? "" : " ", text);
}

bool OperationFinished(const Operation& op) {
  return op.done() || op.state() == Operation::DONE || op.state() == Operation::FAILED ||
         op.state() == Operation::CANCELLED;
}

std::string ProgressText(const Operation& op) {
  if (op.has_migration_progress() && !OperationFinished(op)) {
    return MigrationProgressText(op.migration_progress());
  }
  if (!op.progress_message().empty()) return op.progress_message();
  return OperationStateText(op.state());
}

grpc::Status WaitForOperation(xenia::v1::OperationService::StubInterface& ops, std::string name,
                              const WaitOptions& options, ProgressDisplay* display, Operation* op) {
  const absl::Time give_up = options.limit == absl::InfiniteDuration()
                                 ? absl::InfiniteFuture()
                                 : absl::Now() + options.limit;
  absl::Time unreachable_since = absl::InfiniteFuture();
  if (display != nullptr && !op->name().empty()) display->Update(*op);
  while (!OperationFinished(*op)) {
    const absl::Time now = absl::Now();
    if (now >= give_up) {
      return grpc::Status(
          grpc::StatusCode::DEADLINE_EXCEEDED,
          absl::StrCat("timed out after ", absl::FormatDuration(options.limit),
                       " waiting for operation ", name, " (", OperationSummary(*op), ")"));
    }
    const absl::Duration timeout =
        std::min(display != nullptr ? options.per_call_shown : options.per_call, give_up - now);
    xenia::v1::WaitOperationRequest request;
    request.set_name(name);
    *request.mutable_timeout() = ToProtoDuration(timeout);
    grpc::ClientContext ctx;
    SetDeadline(&ctx, timeout + options.grace);
    Operation latest;
    const grpc::Status status = ops.WaitOperation(&ctx, request, &latest);
    if (status.ok()) {
      unreachable_since = absl::InfiniteFuture();
      *op = std::move(latest);
      if (display != nullptr) display->Update(*op);
      const absl::Duration took = absl::Now() - now;
      if (!OperationFinished(*op) && took < options.min_interval)
        absl::SleepFor(options.min_interval - took);
      continue;
    }
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) continue;
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      // xeniad may be restarting; operations survive that.
      unreachable_since = std::min(unreachable_since, now);
      if (absl::Now() - unreachable_since < options.reconnect) {
        absl::SleepFor(std::min(absl::Seconds(1), options.reconnect));
        continue;
      }
    }
    return status;
  }
  return grpc::Status::OK;
}

}  // namespace xenia::cli
