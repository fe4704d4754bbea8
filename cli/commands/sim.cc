// xenia sim behave: tell the simulated hypervisor how a guest behaves (only
// when xeniad runs on the simulator).

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/create_flags.h"
#include "cli/durations.h"
#include "cli/exit_codes.h"
#include "cli/resource_names.h"
#include "common/sizes.h"

namespace xenia::cli {
namespace {

using xenia::v1::GuestBehavior;

// Sets a duration of `behavior` from a flag's text when the flag was given;
// unset durations keep the guest's current value.
absl::Status SetDuration(absl::string_view flag, const std::string& text,
                         google::protobuf::Duration* (GuestBehavior::*field)(),
                         GuestBehavior* behavior) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<absl::Duration> d = ParseDurationFlag(text);
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", d.status().message()));
  *(behavior->*field)() = ToProtoDuration(*d);
  return absl::OkStatus();
}

int RunBehave(CommandEnv& env, const SimOptions& o) {
  xenia::v1::SetGuestBehaviorRequest request;
  request.set_name(DomainResourceName(o.name));
  GuestBehavior* b = request.mutable_behavior();
  if (o.ignore_shutdown_given) b->set_ignore_shutdown(o.ignore_shutdown);
  if (o.refuse_detach_given) b->set_refuse_device_release(o.refuse_detach);
  request.set_request_id(o.request_id);
  absl::Status s =
      SetDuration("--crash-after", o.crash_after, &GuestBehavior::mutable_crash_after, b);
  if (s.ok()) {
    s = SetDuration("--poweroff-after", o.poweroff_after, &GuestBehavior::mutable_poweroff_after,
                    b);
  }
  if (s.ok()) {
    s = SetDuration("--shutdown-time", o.shutdown_time, &GuestBehavior::mutable_shutdown_time, b);
  }
  if (s.ok() && !o.dirty_rate.empty()) {
    absl::StatusOr<int64_t> rate = ParseSizeBytes(o.dirty_rate);
    if (rate.ok() && *rate >= 0) {
      b->set_dirty_bytes_per_second(*rate);
    } else {
      s = absl::InvalidArgumentError(absl::StrCat(
          "--dirty-rate: \"", o.dirty_rate, "\" is not a rate such as 10M (bytes per second)"));
    }
  }
  if (s.ok() && !o.balloon_floor.empty()) {
    absl::StatusOr<int64_t> floor = ParseSizeBytes(o.balloon_floor);
    if (floor.ok() && *floor >= 0) {
      b->set_balloon_floor_bytes(*floor);
    } else {
      s = absl::InvalidArgumentError(
          absl::StrCat("--balloon-floor: \"", o.balloon_floor, "\" is not a size such as 600M"));
    }
  }
  if (s.ok() && !o.balloon_rate.empty()) {
    absl::StatusOr<int64_t> rate = ParseSizeBytes(o.balloon_rate);
    if (rate.ok() && *rate >= 0) {
      b->set_balloon_bytes_per_second(*rate);
    } else {
      s = absl::InvalidArgumentError(absl::StrCat(
          "--balloon-rate: \"", o.balloon_rate, "\" is not a rate such as 64M (bytes per second)"));
    }
  }
  if (!s.ok()) return env.LocalError(s);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::SetGuestBehaviorResponse response;
  const grpc::Status status = env.conn().simulator().SetGuestBehavior(&ctx, request, &response);
  if (!status.ok()) return env.RpcError(status);
  if (!env.table()) return env.PrintMessage(response);
  env.out() << LastSegment(o.name) << ": guest behavior set\n";
  return kExitOk;
}

int RunCreateUnmanaged(CommandEnv& env, const SimOptions& o) {
  xenia::v1::CreateUnmanagedDomainRequest request;
  request.set_request_id(o.request_id);
  CreateFlags flags;
  flags.name = o.name;
  flags.memory = o.memory;
  flags.vcpus = o.vcpus;
  if (absl::Status s = ApplyCreateFlags(flags, request.mutable_spec()); !s.ok()) {
    return env.LocalError(s);
  }
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::CreateUnmanagedDomainResponse response;
  const grpc::Status status =
      env.conn().simulator().CreateUnmanagedDomain(&ctx, request, &response);
  if (!status.ok()) return env.RpcError(status);
  if (!env.table()) return env.PrintMessage(response);
  env.out() << o.name << ": created beside xeniad as domid " << response.domid()
            << " (unmanaged)\n";
  return kExitOk;
}

}  // namespace

void AddSimCommands(CLI::App& app, SimOptions& o, CommandRegistry& registry) {
  CLI::App* sim = app.add_subcommand("sim", "Drive the simulated hypervisor (tests and demos)");
  sim->require_subcommand(1);
  CLI::App* behave = sim->add_subcommand("behave", "Set how a simulated guest behaves from now on");
  behave->add_option("NAME", o.name, "The domain")->required();
  CLI::Option* ignore =
      behave->add_flag("--ignore-shutdown", o.ignore_shutdown,
                       "Ignore shutdown and reboot requests (--ignore-shutdown=false to stop)");
  ignore->each([&o](const std::string&) { o.ignore_shutdown_given = true; });
  CLI::Option* refuse = behave->add_flag(
      "--refuse-detach", o.refuse_detach,
      "Never release a device the guest is asked to give up, so detaching it times out "
      "(--refuse-detach=false to let go)");
  refuse->each([&o](const std::string&) { o.refuse_detach_given = true; });
  behave->add_option("--request-id", o.request_id, "Client-chosen id that makes retries safe");
  behave->add_option("--crash-after", o.crash_after, "Crash this long from now (e.g. 5s)");
  behave->add_option("--poweroff-after", o.poweroff_after, "Power off this long from now");
  behave->add_option("--shutdown-time", o.shutdown_time,
                     "How long the guest takes to act on a shutdown or reboot request");
  behave->add_option("--dirty-rate", o.dirty_rate,
                     "Memory the guest dirties per second of its running time, e.g. 10M");
  behave->add_option("--balloon-floor", o.balloon_floor,
                     "The least memory the guest's balloon gives back to (mem-set stops there), "
                     "e.g. 600M; 0: any");
  behave->add_option("--balloon-rate", o.balloon_rate,
                     "How fast the guest's balloon moves per second of its running time, e.g. "
                     "64M (default 256M)");
  registry.Add(behave, "sim behave", [&o](CommandEnv& env) { return RunBehave(env, o); });

  CLI::App* unmanaged = sim->add_subcommand(
      "create-unmanaged",
      "Start a domain behind xeniad's back, as `xl create` would on Xen (it shows as unmanaged)");
  unmanaged->add_option("NAME", o.name, "The domain")->required();
  unmanaged->add_option("--memory", o.memory, "Memory, e.g. 128M (default 128M)");
  unmanaged->add_option("--vcpus", o.vcpus, "vCPUs (default 1)");
  unmanaged->add_option("--request-id", o.request_id, "Client-chosen id that makes retries safe");
  registry.Add(unmanaged, "sim create-unmanaged",
               [&o](CommandEnv& env) { return RunCreateUnmanaged(env, o); });
}

}  // namespace xenia::cli
