#include "cli/output/render_domain.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/durations.h"
#include "cli/output/cells.h"
#include "cli/output/table.h"
#include "cli/resource_names.h"
#include "common/sizes.h"
#include "common/spec_text/enum_names.h"

namespace xenia::cli {
namespace {

using xenia::v1::Domain;

std::string DomainName(const Domain& d) {
  if (!d.spec().name().empty()) return d.spec().name();
  return std::string(LastSegment(d.name()));
}

int64_t MemoryMib(const Domain& d) {
  return d.status().current_memory_mib() > 0 ? d.status().current_memory_mib()
                                             : d.spec().memory_mib();
}

int32_t Vcpus(const Domain& d) {
  return d.status().has_domid() && d.status().online_vcpus() > 0 ? d.status().online_vcpus()
                                                                 : d.spec().vcpus();
}

std::string Mib(int64_t mib) { return mib > 0 ? FormatMib(mib) : "-"; }

}  // namespace

std::string PowerStateText(xenia::v1::PowerState state) {
  return spec_text::EnumText(*xenia::v1::PowerState_descriptor(), state);
}

std::string RenderDomainTable(const xenia::v1::ListDomainsResponse& list) {
  std::vector<Table::Column> columns = {{"NAME"},
                                        {"ID", Align::kRight},
                                        {"STATE"},
                                        {"MEM(MiB)", Align::kRight},
                                        {"VCPUS", Align::kRight},
                                        {"TIME(s)", Align::kRight}};
  // Domains xeniad does not manage (dom0, guests made with xl) get a note.
  bool any_unmanaged = std::any_of(list.domains().begin(), list.domains().end(),
                                   [](const Domain& d) { return !d.status().managed(); });
  if (any_unmanaged) columns.push_back({"NOTE"});
  Table table(std::move(columns));
  for (const Domain& d : list.domains()) {
    table.AddRow({DomainName(d), d.status().has_domid() ? std::to_string(d.status().domid()) : "-",
                  PowerStateText(d.status().power_state()), std::to_string(MemoryMib(d)),
                  std::to_string(Vcpus(d)), FormatSecondsTenths(d.status().cpu_time()),
                  d.status().managed() ? "" : "unmanaged"});
  }
  return table.Render();
}

std::string RenderDomainInfo(const Domain& d) {
  const xenia::v1::DomainSpec& spec = d.spec();
  const xenia::v1::DomainStatus& status = d.status();
  const bool exists = status.has_domid();
  std::vector<std::pair<std::string, std::string>> rows = {
      {"name", DomainName(d)},
      {"resource", OrDash(d.name())},
      {"uuid", OrDash(spec.uuid())},
      {"type", spec_text::EnumText(*xenia::v1::DomainType_descriptor(), spec.type())},
      {"state", PowerStateText(status.power_state())},
      {"domid", exists ? std::to_string(status.domid()) : "-"},
      {"managed", YesNo(status.managed())},
      {"memory", Mib(spec.memory_mib())},
      {"max memory", Mib(spec.max_memory_mib() > 0 ? spec.max_memory_mib() : spec.memory_mib())},
      {"current memory", exists ? Mib(status.current_memory_mib()) : "-"},
      {"vcpus", std::to_string(spec.vcpus())},
      {"max vcpus", std::to_string(spec.max_vcpus() > 0 ? spec.max_vcpus() : spec.vcpus())},
      {"online vcpus", exists ? std::to_string(status.online_vcpus()) : "-"},
      {"cpu time", absl::StrCat(FormatSecondsTenths(status.cpu_time()), "s")},
  };
  if (!spec.kernel().empty()) rows.emplace_back("kernel", spec.kernel());
  if (!spec.ramdisk().empty()) rows.emplace_back("ramdisk", spec.ramdisk());
  if (!spec.cmdline().empty()) rows.emplace_back("cmdline", spec.cmdline());
  if (spec.disks_size() > 0) {
    std::vector<std::string> disks;
    for (const auto& disk : spec.disks()) disks.push_back(disk.vdev());
    rows.emplace_back("disks", absl::StrJoin(disks, ", "));
  }
  if (spec.network_interfaces_size() > 0) {
    rows.emplace_back("network interfaces", std::to_string(spec.network_interfaces_size()));
  }
  if (!spec.labels().empty()) {
    std::vector<std::string> labels;
    for (const auto& [key, value] : spec.labels()) labels.push_back(absl::StrCat(key, "=", value));
    std::sort(labels.begin(), labels.end());
    rows.emplace_back("labels", absl::StrJoin(labels, ", "));
  }
  rows.insert(rows.end(),
              {
                  {"created", FormatTimestamp(d.create_time())},
                  {"started", FormatTimestamp(status.start_time())},
                  {"state changed", FormatTimestamp(status.state_change_time())},
                  {"last shutdown reason",
                   spec_text::EnumText(*xenia::v1::DomainStatus::ShutdownReason_descriptor(),
                                       status.last_shutdown_reason())},
                  {"message", OrDash(status.message())},
                  {"current operation", OrDash(status.current_operation())},
              });
  if (!status.save_image().empty()) rows.emplace_back("save image", status.save_image());
  return RenderKeyValues(rows);
}

}  // namespace xenia::cli
