// Waiting for a long-running operation: WaitOperation calls with bounded
// timeouts in a loop until the operation is done, and a progress display on
// stderr — a bar redrawn in place on a terminal, plain lines otherwise.
//
// Thread-compatible: used from the CLI's main thread.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"
#include "xenia/v1/operation.grpc.pb.h"

namespace xenia::cli {

class ProgressDisplay {
 public:
  virtual ~ProgressDisplay() = default;
  // Shows the operation as it now is.
  virtual void Update(const xenia::v1::Operation& op) = 0;
  // Leaves stderr ready for the next line (clears a bar).
  virtual void Finish() = 0;
};

// A bar (`[#####-----]  50% shutting down: waiting for the guest`) redrawn in
// place when `is_tty`, cut to `columns`; otherwise a line `[ 50%] message`
// each time the progress message changes.
std::unique_ptr<ProgressDisplay> MakeProgressDisplay(std::ostream& err, bool is_tty, int columns);

// The width of the terminal on stderr, or 80.
int StderrColumns();

// `[#####-----]  50% text` with `width` cells; percent is clamped to 0..100.
std::string FormatProgressBar(int percent, absl::string_view text, int width);

// True once the operation is DONE, FAILED or CANCELLED (by its `done` flag or
// its state).
bool OperationFinished(const xenia::v1::Operation& op);

// A running migration's figures (cli/output/render_migration.h), else the
// progress message, or the state ("pending") when there is none.
std::string ProgressText(const xenia::v1::Operation& op);

struct WaitOptions {
  // The timeout of each WaitOperation call.
  absl::Duration per_call = absl::Seconds(10);
  // The same while progress is shown, so that the display moves.
  absl::Duration per_call_shown = absl::Seconds(1);
  // Added to a call's timeout for its deadline, so that xeniad answers first.
  absl::Duration grace = absl::Seconds(5);
  // Give up after this long in all; DEADLINE_EXCEEDED then.
  absl::Duration limit = absl::InfiniteDuration();
  // How long xeniad may be unreachable (restarting) before the wait fails.
  absl::Duration reconnect = absl::Seconds(15);
  // The least time between two calls when xeniad answers at once without the
  // operation being done.
  absl::Duration min_interval = absl::Milliseconds(200);
};

// Waits until the operation `name` is done. `op` holds what is known so far
// (may be empty) and, on return, the latest state seen; `name` is taken by
// value, as `op` changes meanwhile. Returns the failed call's status, or
// DEADLINE_EXCEEDED ("timed out after 1m waiting for operation NAME (running,
// 40%: ...)") when `options.limit` passes.
grpc::Status WaitForOperation(xenia::v1::OperationService::StubInterface& ops, std::string name,
                              const WaitOptions& options, ProgressDisplay* display,
                              xenia::v1::Operation* op);

}  // namespace xenia::cli
