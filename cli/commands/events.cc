// xenia events: follow the host's events (WatchEvents), or print the ones it
// keeps (ListEvents, --no-follow). One line per event on a table, one JSON
// document per line with -o json, YAML documents with -o yaml.

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/exit_codes.h"
#include "cli/resource_names.h"
#include "common/spec_text/enum_names.h"
#include "google/protobuf/util/json_util.h"

namespace xenia::cli {
namespace {

using xenia::v1::Event;

std::string EventLine(const Event& event) {
  const absl::Time time =
      absl::FromUnixSeconds(event.time().seconds()) + absl::Nanoseconds(event.time().nanos());
  return absl::StrFormat("%-8d %s  %-20s %-24s %s\n", event.sequence(),
                         absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone()),
                         Event::Type_Name(event.type()), LastSegment(event.resource()),
                         event.message());
}

// Prints one event in the chosen format; false (with the error reported)
// if it cannot be rendered.
bool PrintEvent(CommandEnv& env, const Event& event) {
  if (env.table()) {
    env.out() << EventLine(event);
  } else if (env.format() == OutputFormat::kJson) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(event, &json).ok()) return false;
    env.out() << json << "\n";
  } else {
    absl::StatusOr<std::string> yaml = FormatMessage(event, OutputFormat::kYaml);
    if (!yaml.ok()) return false;
    env.out() << "---\n" << *yaml;
  }
  env.out().flush();
  return true;
}

std::string ResourceFilter(const EventsOptions& o) {
  return o.domain.empty() ? std::string() : DomainResourceName(o.domain);
}

int RunList(CommandEnv& env, const EventsOptions& o) {
  xenia::v1::ListEventsRequest request;
  request.set_after_sequence(o.since < 0 ? 0 : o.since);
  request.set_resource(ResourceFilter(o));
  request.set_page_size(1000);
  int64_t printed = 0;
  do {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, kUnaryDeadline);
    xenia::v1::ListEventsResponse page;
    const grpc::Status status = env.conn().events().ListEvents(&ctx, request, &page);
    if (!status.ok()) return env.RpcError(status);
    for (const Event& event : page.events()) {
      if (!PrintEvent(env, event)) {
        return env.LocalError(absl::InternalError("cannot render an event"));
      }
      if (o.count > 0 && ++printed >= o.count) return kExitOk;
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return kExitOk;
}

int RunWatch(CommandEnv& env, const EventsOptions& o) {
  xenia::v1::WatchEventsRequest request;
  request.set_after_sequence(o.since);
  request.set_resource(ResourceFilter(o));
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderInterface<Event>> reader =
      env.conn().events().WatchEvents(&ctx, request);
  Event event;
  int64_t printed = 0;
  while (reader->Read(&event)) {
    if (!PrintEvent(env, event)) {
      ctx.TryCancel();
      return env.LocalError(absl::InternalError("cannot render an event"));
    }
    if (o.count > 0 && ++printed >= o.count) {
      ctx.TryCancel();
      reader->Finish();
      return kExitOk;
    }
  }
  return env.RpcError(reader->Finish());
}

}  // namespace

void AddEventsCommand(CLI::App& app, EventsOptions& o, CommandRegistry& registry) {
  CLI::App* events = app.add_subcommand(
      "events", "Follow the host's events: domains defined, changed, deleted; operations");
  events
      ->add_option("--since", o.since,
                   "Start after this sequence number (0: every event kept); default: only new "
                   "ones")
      ->check(CLI::Range(int64_t{-1}, INT64_MAX));
  events->add_option("--domain", o.domain, "Only events about this domain");
  events->add_option("--count", o.count, "Stop after this many events")
      ->check(CLI::NonNegativeNumber);
  events->add_flag("--no-follow", o.no_follow, "Print the events kept and exit");
  registry.Add(events, "events",
               [&o](CommandEnv& env) { return o.no_follow ? RunList(env, o) : RunWatch(env, o); });
}

}  // namespace xenia::cli
