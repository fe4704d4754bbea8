#include "cli/output/render_operation.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/output/cells.h"
#include "cli/output/render_migration.h"
#include "cli/output/table.h"
#include "cli/resource_names.h"
#include "common/spec_text/enum_names.h"

namespace xenia::cli {
namespace {

using xenia::v1::Operation;

bool ResultIsUp(const Operation& op) {
  return op.has_domain() && (op.domain().status().power_state() == xenia::v1::RUNNING ||
                             op.domain().status().power_state() == xenia::v1::PAUSED);
}

// What a DONE operation did, in the past tense.
std::string Outcome(const Operation& op) {
  const std::string& m = op.method();
  if (m == "CreateDomain") return ResultIsUp(op) ? "created and started" : "created";
  const bool paused = op.has_domain() && op.domain().status().power_state() == xenia::v1::PAUSED;
  if (m == "StartDomain") return paused ? "started (paused)" : "started";
  if (m == "RestoreDomain" || m == "RestoreDomainFromStream") {
    return paused ? "restored (paused)" : "restored";
  }
  static constexpr std::pair<const char*, const char*> kPastTense[] = {
      {"ShutdownDomain", "shut down"},
      {"RebootDomain", "rebooted"},
      {"DestroyDomain", "destroyed"},
      {"PauseDomain", "paused"},
      {"UnpauseDomain", "unpaused"},
      {"DeleteDomain", "deleted"},
      {"UpdateDomain", "updated"},
      {"SaveDomain", "saved"},
      {"MigrateDomain", "migrated"},
      {"SetDomainMemory", "memory set"},
      {"SetDomainMaxMemory", "maximum memory set"},
      {"SetDomainVcpus", "vCPUs set"},
      {"AttachDisk", "disk attached"},
      {"DetachDisk", "disk detached"},
      {"AttachNetworkInterface", "network interface attached"},
      {"DetachNetworkInterface", "network interface detached"},
      {"AttachPciDevice", "PCI device attached"},
      {"DetachPciDevice", "PCI device detached"},
      {"AdoptDomain", "adopted"},
  };
  for (const auto& [method, past] : kPastTense) {
    if (m == method) return past;
  }
  return absl::StrCat(m.empty() ? "operation" : m, " done");
}

std::string Progress(const Operation& op) { return absl::StrCat(op.progress_percent(), "%"); }

}  // namespace

std::string OperationStateText(Operation::State state) {
  return spec_text::EnumText(*Operation::State_descriptor(), state);
}

std::string RenderOperationTable(const xenia::v1::ListOperationsResponse& list) {
  Table table(
      {{"ID"}, {"METHOD"}, {"TARGET"}, {"STATE"}, {"PROGRESS", Align::kRight}, {"CREATED"}});
  for (const Operation& op : list.operations()) {
    table.AddRow({std::string(LastSegment(op.name())), OrDash(op.method()), OrDash(op.target()),
                  OperationStateText(op.state()), Progress(op), FormatTimestamp(op.create_time())});
  }
  return table.Render();
}

std::string RenderOperationInfo(const Operation& op) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"name", OrDash(op.name())},
      {"method", OrDash(op.method())},
      {"target", OrDash(op.target())},
      {"state", OperationStateText(op.state())},
      {"progress", Progress(op)},
      {"message", OrDash(op.progress_message())},
      {"principal", OrDash(op.principal())},
      {"request id", OrDash(op.request_id())},
      {"cancellable", YesNo(op.cancellable())},
      {"created", FormatTimestamp(op.create_time())},
      {"started", FormatTimestamp(op.start_time())},
      {"ended", FormatTimestamp(op.end_time())},
  };
  if (op.has_migration_progress() &&
      (op.state() == Operation::PENDING || op.state() == Operation::RUNNING)) {
    rows.emplace_back("migration", MigrationProgressText(op.migration_progress()));
  }
  if (op.has_migration()) {
    for (auto& row : MigrationResultRows(op.migration())) rows.push_back(std::move(row));
  }
  if (op.has_error()) {
    rows.emplace_back("error",
                      absl::StrCat(op.error().message(), " (code ", op.error().code(), ")"));
  }
  return RenderKeyValues(rows);
}

std::string AcceptedLine(absl::string_view subject, const Operation& op) {
  return absl::StrCat(subject, ": ", op.method().empty() ? "request" : op.method(),
                      " accepted (operation ", op.name(), ")");
}

std::string OutcomeLine(absl::string_view subject, const Operation& op) {
  return absl::StrCat(subject, ": ", Outcome(op));
}

std::string FailureLine(const Operation& op) {
  const std::string method = op.method().empty() ? "operation" : op.method();
  const std::string target = op.target().empty() ? "" : absl::StrCat(" on ", op.target());
  const std::string message =
      op.error().message().empty() ? OperationStateText(op.state()) : op.error().message();
  if (op.state() == Operation::CANCELLED) {
    return absl::StrCat("xenia: ", method, target, " was cancelled: ", message);
  }
  return absl::StrCat("xenia: ", method, target, " failed: ", message);
}

std::string OperationSummary(const Operation& op) {
  std::string s = absl::StrCat(OperationStateText(op.state()), ", ", Progress(op));
  if (!op.progress_message().empty()) absl::StrAppend(&s, ": ", op.progress_message());
  return s;
}

}  // namespace xenia::cli
