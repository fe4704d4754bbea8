#include "cli/app.h"

#include "absl/strings/match.h"
#include "cli/exit_codes.h"

#ifndef XENIA_VERSION
#error "XENIA_VERSION must be defined by the build"
#endif

namespace xenia::cli {
namespace {

constexpr const char* kDescription =
    "xenia: manage the Xen domains of a host through its xeniad.\n"
    "Global flags may come before or after the command.";

std::string FailureMessage(const CLI::App* /*app*/, const CLI::Error& e) {
  return std::string("xenia: ") + e.what() + "\nRun 'xenia --help' for more information.\n";
}

}  // namespace

CommandLine::CommandLine() : app_(kDescription, "xenia") {
  app_.fallthrough();
  app_.require_subcommand(1);
  app_.failure_message(FailureMessage);
  app_.set_version_flag("--version", std::string("xenia ") + XENIA_VERSION);
  app_.add_option("--socket", options_.global.socket, "xeniad's unix socket")
      ->envname("XENIA_SOCKET")
      ->capture_default_str();
  app_.add_option("-o,--output", options_.global.output, "Output format: table, json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}))
      ->capture_default_str();

  AddListInfoCommands(app_, options_.list, options_.info, registry_);
  AddCreateCommand(app_, options_.create, registry_);
  AddConfigCommand(app_, options_.config, registry_);
  AddResourceCommands(app_, options_.resources, registry_);
  AddDeviceCommands(app_, options_.devices, registry_);
  AddDomainVerbCommands(app_, options_.domain, registry_);
  AddSaveCommand(app_, options_.save, registry_);
  AddRestoreCommand(app_, options_.restore, registry_);
  AddMigrateCommand(app_, options_.migrate, registry_);
  AddHostCommand(app_, registry_);
  AddOpsCommands(app_, options_.ops, registry_);
  AddEventsCommand(app_, options_.events, registry_);
  AddSimCommands(app_, options_.sim, registry_);

  CLI::App* version = app_.add_subcommand("version", "Print the version of this command");
  registry_.Add(version, "version", [](CommandEnv& env) {
    env.out() << "xenia " << XENIA_VERSION << "\n";
    return static_cast<int>(kExitOk);
  });

  // Set last, so that the subcommands' help does not repeat it.
  app_.footer(ExitCodeHelp());
}

std::optional<int> CommandLine::Parse(int argc, const char* const* argv, std::ostream& out,
                                      std::ostream& err) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::RequiredError& e) {
    // "xenia bogus" leaves "bogus" unparsed and no subcommand selected.
    const std::vector<std::string> extra = app_.remaining(/*recurse=*/true);
    if (!extra.empty() && absl::StrContains(e.what(), "subcommand")) {
      err << "xenia: unknown command \"" << extra.front()
          << "\"\nRun 'xenia --help' for more information.\n";
      return kExitUsage;
    }
    app_.exit(e, out, err);
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    const int rc = app_.exit(e, out, err);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  const CLI::App* leaf = &app_;
  for (std::vector<CLI::App*> subs = leaf->get_subcommands(); !subs.empty();
       subs = leaf->get_subcommands()) {
    leaf = subs.front();
  }
  selected_ = registry_.Find(leaf);
  if (selected_ == nullptr) {
    err << "xenia: " << leaf->get_name() << ": a subcommand is required\n";
    return kExitUsage;
  }
  return std::nullopt;
}

const std::string& CommandLine::command() const {
  static const std::string kNone;
  return selected_ == nullptr ? kNone : selected_->path;
}

int CommandLine::Run(CommandEnv& env) const {
  if (selected_ == nullptr) return env.UsageError("no command given");
  return selected_->action(env);
}

int RunXenia(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
             std::istream& in, bool err_is_tty, const BinaryStdio& binary) {
  CommandLine command_line;
  if (std::optional<int> rc = command_line.Parse(argc, argv, out, err); rc.has_value()) {
    return *rc;
  }
  CommandEnv env(command_line.options().global, out, err, in, err_is_tty, binary);
  const int rc = command_line.Run(env);
  out.flush();
  return rc;
}

}  // namespace xenia::cli
