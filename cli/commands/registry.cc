#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/durations.h"

namespace xenia::cli {

void CommandRegistry::Add(const CLI::App* command, std::string path, CommandAction action) {
  entries_[command] = Entry{std::move(path), std::move(action)};
}

const CommandRegistry::Entry* CommandRegistry::Find(const CLI::App* command) const {
  auto it = entries_.find(command);
  return it == entries_.end() ? nullptr : &it->second;
}

void AddMutationFlags(CLI::App* command, MutationFlags* flags) {
  command->add_flag("--wait", flags->wait, "Wait until the operation is done, showing progress");
  command->add_option("--wait-timeout", flags->wait_timeout,
                      "With --wait, give up after this long (e.g. 5m; default: no limit)");
  command->add_option("--request-id", flags->request_id,
                      "Client-chosen id; repeating a request with the same id returns the "
                      "first operation instead of doing the work twice");
}

absl::StatusOr<absl::Duration> WaitLimit(const MutationFlags& flags) {
  if (flags.wait_timeout.empty()) return absl::InfiniteDuration();
  absl::StatusOr<absl::Duration> d = ParseDurationFlag(flags.wait_timeout);
  if (!d.ok())
    return absl::InvalidArgumentError(absl::StrCat("--wait-timeout: ", d.status().message()));
  return *d;
}

}  // namespace xenia::cli
