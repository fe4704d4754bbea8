#include "daemon/startup_recovery.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "daemon/domain/adopted_entry.h"
#include "daemon/domain/domain_proto.h"
#include "daemon/operations/domain_lifecycle.h"
#include "daemon/operations/reconcile_task.h"
#include "daemon/proto_time.h"

namespace xenia {
namespace {

using xenia::v1::Operation;
using xenia::v1::PowerState;

xenia::v1::Event StateEvent(const ResourceNames& names, const DomainEntry& entry, PowerState before,
                            absl::string_view message) {
  xenia::v1::Event event;
  event.set_type(xenia::v1::Event::DOMAIN_STATE_CHANGED);
  event.set_resource(names.Domain(entry.name()));
  event.set_old_power_state(before);
  event.set_new_power_state(entry.status.power_state());
  event.set_message(std::string(message));
  return event;
}

// Whether an interrupted operation reached its goal, judged by the domain's
// state now (`entry` is null if the domain is no longer defined).
bool ReachedGoal(const std::string& method, const DomainEntry* entry) {
  PowerState state = entry != nullptr ? entry->status.power_state() : xenia::v1::SHUTOFF;
  if (method == "DeleteDomain" || method == "MigrateDomain") return entry == nullptr;
  if (method == "ReceiveMigration" || method == "ResolveMigration") {
    return entry != nullptr && entry->status.power_state() == xenia::v1::RUNNING;
  }
  if (entry == nullptr) return false;
  if (method == "CreateDomain" || method == "StartDomain" || method == "RebootDomain") {
    return state == xenia::v1::RUNNING || state == xenia::v1::PAUSED;
  }
  if (method == "ShutdownDomain" || method == "DestroyDomain") return state == xenia::v1::SHUTOFF;
  if (method == "SaveDomain" || method == "SaveDomainToStream") {
    return state == xenia::v1::SUSPENDED;
  }
  if (method == "RestoreDomain" || method == "RestoreDomainFromStream") {
    return state == xenia::v1::RUNNING || state == xenia::v1::PAUSED;
  }
  if (method == "PauseDomain") return state == xenia::v1::PAUSED;
  if (method == "UnpauseDomain") return state == xenia::v1::RUNNING;
  return false;
}

// Saves and migrations pause or suspend the guest while they copy it.
bool IsSave(const std::string& method) {
  return method == "SaveDomain" || method == "SaveDomainToStream" || method == "MigrateDomain";
}

// What an interrupted save or migration left: "no image was kept" or "the
// guest stays on this host".
std::string NothingKept(const std::string& method) {
  return method == "MigrateDomain" ? "xeniad stopped while migrating the domain, before handing "
                                     "it over; it stays on this host"
                                   : "xeniad stopped while saving the domain; no image was kept";
}

std::string Again(const std::string& method) {
  return method == "MigrateDomain" ? "migrate it again" : "save it again";
}

bool IsRestore(const std::string& method) {
  return method == "RestoreDomain" || method == "RestoreDomainFromStream";
}

// Whether `row` builds a guest in the hypervisor (which keeps it paused until
// the build is complete).
bool BuildsAGuest(const std::string& method) {
  return method == "CreateDomain" || method == "StartDomain" || method == "RebootDomain" ||
         IsRestore(method);
}

// Takes a guest the store does not know back under management if xeniad
// built it (it carries xeniad's mark: the store lost its record, e.g. it
// was restored from a backup or the state directory is new). Domains made
// beside xeniad are left alone, as always: the error says why this one is.
absl::Status AdoptOwnGuest(const hv::DomainFacts& facts, hv::Hypervisor& hypervisor,
                           DomainRegistry& registry, const ResourceNames& names, absl::Time now,
                           Logger& logger, JournalChange& change) {
  const hv::DomainRef ref{facts.domid, facts.uuid};
  absl::StatusOr<bool> ours = hypervisor.MadeByXeniad(hv::OpContext{}, ref);
  if (!ours.ok()) return ours.status();
  if (!*ours) return absl::FailedPreconditionError("made beside xeniad (e.g. with xl)");
  if (registry.GetByName(facts.name).has_value()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "built by xeniad, but a defined domain already has the name \"", facts.name, "\""));
  }
  absl::StatusOr<xenia::v1::DomainSpec> spec = hypervisor.RetrieveDomainSpec(hv::OpContext{}, ref);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<DomainEntry> entry = AdoptedEntry(
      facts, *std::move(spec), now,
      "adopted at start-up: xeniad built this guest, but the store had no record of it");
  if (!entry.ok()) return entry.status();
  logger.Warn("adopted a guest xeniad built that the store had no record of",
              {{"domain", facts.name}, {"domid", facts.domid}, {"uuid", facts.uuid}});
  change.events.push_back(
      AdoptedEvent(names, *entry, facts.domid,
                   " at start-up: xeniad built it, but the store had no record of it"));
  change.put_domains.push_back(*entry);
  return registry.Insert(*std::move(entry));
}

}  // namespace

absl::StatusOr<RecoveryReport> RecoverAtStart(store::Store& store, Journal& journal,
                                              DomainRegistry& registry, hv::Hypervisor& hypervisor,
                                              const ResourceNames& names, const Clock& clock,
                                              Logger& logger) {
  RecoveryReport report;
  absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock.Now()));
  JournalChange change;

  absl::StatusOr<std::vector<store::OperationRow>> unfinished = store.LoadUnfinishedOperations();
  if (!unfinished.ok()) return unfinished.status();
  // What xeniad was in the middle of doing to each domain when it stopped:
  // the oldest unfinished operation on it (operations on a domain run in
  // arrival order, and the first step of one is journalled only with its
  // end, so the one at work may still read PENDING).
  absl::flat_hash_map<std::string, std::string> running_method;
  absl::flat_hash_map<std::string, const store::OperationRow*> front;
  for (const store::OperationRow& row : *unfinished) {
    const std::string domain = row.target.substr(row.target.rfind('/') + 1);
    const store::OperationRow*& current = front[domain];
    if (current == nullptr || row.state == store::OperationState::kRunning ||
        (current->state != store::OperationState::kRunning &&
         row.create_time_us < current->create_time_us)) {
      current = &row;
    }
  }
  for (const auto& [domain, row] : front) running_method[domain] = row->method;
  // Domains whose interrupted operation will be completed by the
  // reconciliation (the guest went down as asked).
  absl::flat_hash_map<std::string, bool> completed_by_reconcile;
  // Domains whose interrupted operation recovery settled itself (a guest
  // found half-built, or paused by a save), and what became of them: the
  // operation fails with that.
  absl::flat_hash_map<std::string, std::string> settled;
  // Domains this host had handed over to another by migration.
  absl::flat_hash_set<std::string> handed_over;

  absl::StatusOr<std::vector<store::DomainRow>> rows = store.LoadDomains();
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::vector<hv::DomainFacts>> live = hypervisor.ListDomains(hv::OpContext{});
  if (!live.ok()) return live.status();
  absl::flat_hash_map<std::string, const hv::DomainFacts*> by_uuid;
  for (const hv::DomainFacts& facts : *live) by_uuid[facts.uuid] = &facts;

  for (const store::DomainRow& row : *rows) {
    absl::StatusOr<DomainEntry> loaded = Journal::FromRow(row);
    if (!loaded.ok()) return loaded.status();
    DomainEntry entry = *std::move(loaded);
    ++report.domains;
    PowerState before = entry.status.power_state();
    xenia::v1::DomainStatus& status = entry.status;
    auto found = by_uuid.find(entry.uuid());
    // A domain handed over to another host, or one that was still arriving
    // from one: this host's copy (if any) goes, and so does the record.
    const bool arriving = !status.incoming_migration().empty() && before == xenia::v1::SHUTOFF;
    if (!status.handed_over_to().empty() || arriving) {
      if (found != by_uuid.end()) {
        absl::Status destroyed = hypervisor.DestroyDomain(
            hv::OpContext{}, hv::DomainRef{found->second->domid, found->second->uuid});
        if (!destroyed.ok() && destroyed.code() != absl::StatusCode::kNotFound) {
          return absl::Status(
              destroyed.code(),
              absl::StrCat("cannot destroy the copy of domain \"", entry.name(),
                           "\" that a migration left behind: ", destroyed.message()));
        }
        by_uuid.erase(found);
      }
      if (arriving) {
        settled[entry.name()] =
            absl::StrCat("xeniad stopped while the domain was arriving by migration (",
                         status.incoming_migration(),
                         "); what had arrived was discarded, and the source keeps the guest");
      }
      logger.Warn(arriving ? "discarded a domain that was arriving by migration"
                           : "removed a domain handed over to another host",
                  {{"domain", entry.name()},
                   {"handed_over_to", status.handed_over_to()},
                   {"incoming_migration", status.incoming_migration()}});
      xenia::v1::Event deleted;
      deleted.set_type(xenia::v1::Event::DOMAIN_DELETED);
      deleted.set_resource(names.Domain(entry.name()));
      deleted.set_old_power_state(before);
      deleted.set_message(absl::StrCat("domain ", entry.name(),
                                       arriving ? " discarded: its migration here was interrupted"
                                                : " removed: it was handed over to ",
                                       status.handed_over_to()));
      change.events.push_back(std::move(deleted));
      change.delete_domain_uuids.push_back(entry.uuid());
      if (!arriving) handed_over.insert(entry.name());
      --report.domains;
      continue;
    }
    if (found != by_uuid.end()) {
      const hv::DomainFacts& facts = *found->second;
      by_uuid.erase(found);
      const bool rebuilt =
          !status.has_domid() || static_cast<uint32_t>(status.domid()) != facts.domid;
      ApplyFacts(facts, now, &status);
      ++report.running;
      switch (facts.state) {
        case hv::RunState::kRunning: {
          status.set_power_state(xenia::v1::RUNNING);
          auto at_work = front.find(entry.name());
          if (at_work != front.end() && at_work->second->method == "MigrateDomain") {
            // Pre-copy runs the guest on while it copies it.
            settled[entry.name()] =
                absl::StrCat(NothingKept("MigrateDomain"), ", running: migrate it again");
            status.set_message(settled[entry.name()]);
          }
          break;
        }
        case hv::RunState::kPaused: {
          status.set_power_state(xenia::v1::PAUSED);
          auto at_work = front.find(entry.name());
          const std::string method = at_work != front.end() ? at_work->second->method : "";
          if (IsSave(method) && before == xenia::v1::RUNNING) {
            // A save pauses the guest while it copies it; xeniad died copying
            // and no image was kept: let the guest run on.
            absl::Status unpaused =
                hypervisor.UnpauseDomain(hv::OpContext{}, hv::DomainRef{facts.domid, facts.uuid});
            if (unpaused.ok()) status.set_power_state(xenia::v1::RUNNING);
            settled[entry.name()] =
                unpaused.ok()
                    ? absl::StrCat(NothingKept(method), ", and the guest, which had been paused, ",
                                   "runs on: ", Again(method))
                    : absl::StrCat(NothingKept(method),
                                   ", and the guest, which had been paused, could not be "
                                   "unpaused (",
                                   unpaused.message(), "): unpause it, then ", Again(method));
            status.set_message(settled[entry.name()]);
            break;
          }
          if (!BuildsAGuest(method) || !rebuilt) break;
          // The hypervisor keeps a guest paused until its build is complete,
          // and xeniad died building it: what is there may be half-built
          // (its devices missing), even if it was to start paused. Destroy
          // it, as a failed build would have (it never ran, so nothing is
          // lost); the operation fails and can simply be retried.
          const std::string interrupted =
              absl::StrCat("xeniad stopped while the hypervisor was building the guest (domid ",
                           facts.domid, ")");
          absl::Status destroyed =
              hypervisor.DestroyDomain(hv::OpContext{}, hv::DomainRef{facts.domid, facts.uuid});
          if (destroyed.ok()) {
            logger.Warn("destroyed a guest that xeniad died building",
                        {{"domain", entry.name()}, {"domid", facts.domid}});
            status.set_power_state(xenia::v1::SHUTOFF);
            status.clear_domid();
            status.clear_devices();
            status.set_current_memory_mib(0);
            status.set_online_vcpus(0);
            status.clear_start_time();
            --report.running;
            if (IsRestore(method) && before == xenia::v1::SUSPENDED) {
              // Its image is still there, and still its state.
              status.set_power_state(xenia::v1::SUSPENDED);
              settled[entry.name()] = absl::StrCat(
                  interrupted,
                  "; the half-restored guest was destroyed and the domain is suspended as "
                  "before: restore it again");
            } else {
              settled[entry.name()] = absl::StrCat(
                  interrupted, "; the half-built guest was destroyed and the domain is shut off: ",
                  IsRestore(method) ? "restore it again" : "start it again");
            }
          } else {
            logger.Error("cannot destroy a guest that xeniad died building",
                         {{"domain", entry.name()}, {"domid", facts.domid}, {"error", destroyed}});
            settled[entry.name()] = absl::StrCat(
                interrupted, ", which is left paused and half-built because destroying it failed (",
                destroyed.message(), "): destroy it, then start it again");
          }
          status.set_message(settled[entry.name()]);
          break;
        }
        case hv::RunState::kShutdown:
        case hv::RunState::kDying: {
          RecoveryReport::Reconcile reconcile{entry.uuid(), std::nullopt};
          const std::string& method = running_method[entry.name()];
          if (facts.state == hv::RunState::kShutdown &&
              facts.shutdown_reason == hv::ShutdownReason::kSuspend && IsSave(method) &&
              (before == xenia::v1::RUNNING || before == xenia::v1::PAUSED)) {
            // xeniad died between the guest's suspend and the image's record:
            // no image counts as kept, so the guest resumes where it stopped.
            absl::Status resumed =
                hypervisor.ResumeDomain(hv::OpContext{}, hv::DomainRef{facts.domid, facts.uuid});
            if (resumed.ok() && before == xenia::v1::PAUSED) {
              resumed =
                  hypervisor.PauseDomain(hv::OpContext{}, hv::DomainRef{facts.domid, facts.uuid});
            }
            if (resumed.ok()) {
              status.set_power_state(before);
              settled[entry.name()] =
                  absl::StrCat(NothingKept(method), ", and the guest, which had been suspended, ",
                               "was resumed: ", Again(method));
              status.set_message(settled[entry.name()]);
              break;
            }
            logger.Error("cannot resume a guest that xeniad died saving",
                         {{"domain", entry.name()}, {"domid", facts.domid}, {"error", resumed}});
          }
          bool crashed = facts.shutdown_reason == hv::ShutdownReason::kCrash ||
                         facts.shutdown_reason == hv::ShutdownReason::kWatchdog;
          if (facts.state == hv::RunState::kShutdown && !crashed) {
            // The guest did what an interrupted request asked: finish that
            // request's way, whatever the domain's policy says.
            if (method == "ShutdownDomain" &&
                facts.shutdown_reason == hv::ShutdownReason::kPoweroff) {
              reconcile.action = xenia::v1::DESTROY;
            } else if (method == "RebootDomain") {
              reconcile.action = xenia::v1::RESTART;
            }
            if (reconcile.action.has_value()) completed_by_reconcile[entry.name()] = true;
          }
          report.reconcile.push_back(std::move(reconcile));
          break;
        }
      }
    } else if (status.has_domid() && (running_method[entry.name()] == "ShutdownDomain" ||
                                      running_method[entry.name()] == "DestroyDomain" ||
                                      running_method[entry.name()] == "RebootDomain" ||
                                      running_method[entry.name()] == "ReconcileDomain")) {
      // xeniad was taking it down when it stopped, and it is down.
      status.set_power_state(xenia::v1::SHUTOFF);
      status.clear_domid();
      status.clear_devices();
      status.set_current_memory_mib(0);
      status.set_online_vcpus(0);
      status.clear_start_time();
      status.set_message(absl::StrCat("xeniad stopped while the domain was being taken down (",
                                      running_method[entry.name()], "); it is shut off"));
    } else if (status.has_domid()) {
      std::string note = absl::StrCat("was domid ", status.domid(),
                                      " when xeniad stopped; the hypervisor no longer has it "
                                      "(host rebooted, or destroyed outside xeniad)");
      logger.Warn("domain lost", {{"domain", entry.name()}, {"detail", note}});
      status.set_power_state(xenia::v1::LOST);
      status.clear_domid();
      status.clear_devices();
      status.set_current_memory_mib(0);
      status.set_online_vcpus(0);
      status.set_message(note);
      ++report.lost;
      xenia::v1::Event lost;
      lost.set_type(xenia::v1::Event::DOMAIN_LOST);
      lost.set_resource(names.Domain(entry.name()));
      lost.set_old_power_state(before);
      lost.set_new_power_state(xenia::v1::LOST);
      lost.set_message(absl::StrCat("domain ", entry.name(), " ", note));
      change.events.push_back(std::move(lost));
    } else if (status.power_state() != xenia::v1::SHUTOFF &&
               status.power_state() != xenia::v1::LOST &&
               status.power_state() != xenia::v1::SUSPENDED) {
      status.set_power_state(xenia::v1::SHUTOFF);
    }
    if (status.power_state() != before) {
      *status.mutable_state_change_time() = ToProto(now);
      if (status.power_state() != xenia::v1::LOST) {
        change.events.push_back(StateEvent(names, entry, before, "found so at start-up"));
      }
      entry.update_time = now;
      ++entry.generation;
      change.put_domains.push_back(entry);
    }
    if (absl::Status s = registry.Insert(std::move(entry)); !s.ok()) return s;
  }

  for (const auto& [uuid, facts] : by_uuid) {
    if (facts->domid == 0) continue;
    absl::Status adopted = AdoptOwnGuest(*facts, hypervisor, registry, names, now, logger, change);
    if (adopted.ok()) {
      ++report.adopted;
      ++report.running;
      if (facts->state != hv::RunState::kRunning && facts->state != hv::RunState::kPaused) {
        report.reconcile.push_back({uuid, std::nullopt});
      }
      continue;
    }
    ++report.unmanaged;
    logger.Info("the hypervisor runs a domain xeniad does not manage; leaving it alone",
                {{"domid", facts->domid},
                 {"name", facts->name},
                 {"uuid", uuid},
                 {"why", adopted.message()}});
  }

  for (const store::OperationRow& row : *unfinished) {
    JournalledOperation op;
    if (!op.operation.ParseFromString(row.body)) {
      return absl::DataLossError(absl::StrCat("stored operation ", row.id, " is unreadable"));
    }
    op.request = row.request;
    Operation& resource = op.operation;
    std::optional<DomainEntry> entry;
    std::string domain_name = row.target.substr(row.target.rfind('/') + 1);
    entry = registry.GetByName(domain_name);
    const DomainEntry* current = entry.has_value() ? &*entry : nullptr;
    resource.set_done(true);
    resource.set_cancellable(false);
    *resource.mutable_end_time() = ToProto(now);
    std::string state = current != nullptr ? PowerStateName(current->status.power_state())
                                           : std::string("no longer defined");
    if (row.method == "MigrateDomain" && !resource.migration_progress().destination().empty()) {
      report.migration_decisions.push_back({resource.migration_progress().destination(),
                                            resource.name(), handed_over.contains(domain_name)});
    }
    auto built = settled.find(domain_name);
    if (built != settled.end() && front.at(domain_name)->id == row.id) {
      resource.set_state(Operation::FAILED);
      resource.mutable_error()->set_code(static_cast<int>(absl::StatusCode::kAborted));
      resource.mutable_error()->set_message(built->second);
      resource.set_progress_message("interrupted by a restart of xeniad");
      ++report.operations_failed;
    } else if (row.method == ReconcileTask::kMethod) {
      resource.set_state(Operation::DONE);
      resource.set_progress_percent(100);
      resource.set_progress_message("superseded by the reconciliation at xeniad's start");
      ++report.operations_done;
    } else if (row.state == store::OperationState::kRunning &&
               completed_by_reconcile.contains(domain_name)) {
      resource.set_state(Operation::DONE);
      resource.set_progress_percent(100);
      resource.set_progress_message(
          "the guest went down as asked while xeniad was stopped; xeniad finished the job when "
          "it started again");
      ++report.operations_done;
    } else if (ReachedGoal(row.method, current)) {
      resource.set_state(Operation::DONE);
      resource.set_progress_percent(100);
      resource.set_progress_message(
          absl::StrCat("xeniad stopped while this operation ran; at restart the domain was ", state,
                       ", as the operation intended"));
      if (current != nullptr) *resource.mutable_domain() = ToDomainProto(*current, names);
      ++report.operations_done;
    } else {
      resource.set_state(Operation::FAILED);
      resource.mutable_error()->set_code(static_cast<int>(absl::StatusCode::kAborted));
      resource.mutable_error()->set_message(
          absl::StrCat("xeniad stopped while this operation ",
                       row.state == store::OperationState::kPending ? "waited to run" : "ran",
                       "; at restart the domain was ", state, ", so it did not finish"));
      resource.set_progress_message("interrupted by a restart of xeniad");
      ++report.operations_failed;
    }
    logger.Info("settled an operation interrupted by a restart",
                {{"operation", row.id},
                 {"method", row.method},
                 {"target", row.target},
                 {"outcome", Operation::State_Name(resource.state())}});
    change.operations.push_back(std::move(op));
  }

  if (!change.empty()) {
    if (absl::Status s = journal.Write(std::move(change), now); !s.ok()) return s;
  }
  return report;
}

}  // namespace xenia
