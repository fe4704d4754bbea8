#include "daemon/xeniad.h"

#include <grp.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/api/access_service.h"
#include "daemon/api/call_gate.h"
#include "daemon/api/domain_service.h"
#include "daemon/api/event_service.h"
#include "daemon/api/host_service.h"
#include "daemon/api/migration_service.h"
#include "daemon/api/operation_service.h"
#include "daemon/api/peer_credentials.h"
#include "daemon/api/simulator_service.h"
#include "daemon/backend_choice.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/events/event_hub.h"
#include "daemon/facts_poller.h"
#include "daemon/hypervisor/libxl/libxl_hypervisor.h"
#include "daemon/hypervisor/sim/sim_hypervisor.h"
#include "daemon/images/image_directory.h"
#include "daemon/migration/decision_courier.h"
#include "daemon/operations/journal.h"
#include "daemon/operations/operation_engine.h"
#include "daemon/peer_token.h"
#include "daemon/resource_names.h"
#include "daemon/server/rpc_server.h"
#include "daemon/server/unix_socket_listener.h"
#include "daemon/startup_recovery.h"
#include "daemon/state_dir_lock.h"
#include "store/store.h"
#include "xenia/v1/agent.grpc.pb.h"
#include "xenia/v1/event.grpc.pb.h"
#include "xenia/v1/fleet.grpc.pb.h"

namespace xenia {

struct Xeniad::Parts {
  Parts(const DaemonConfig& c, const Clock& clk, Logger& log)
      : config(c), clock(clk), logger(log) {}
  // Also runs when Start fails half way: the server goes first, the
  // backend's event thread (which calls into the engine) before the engine.
  ~Parts() {
    if (courier) courier->Stop();
    if (events) events->CloseAll(absl::UnavailableError("xeniad is stopping"));
    if (listener) listener->Stop();
    rpc.reset();
    if (poller) poller->Stop();
    if (engine) engine->Stop();
    hypervisor.reset();
    engine.reset();
    if (journal) journal->SetEventSink(nullptr);
    events.reset();
  }

  DaemonConfig config;
  const Clock& clock;
  Logger& logger;
  BackendChoice backend;
  std::unique_ptr<StateDirLock> lock;
  std::unique_ptr<UnixSocketListener> listener;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<images::ImageDirectory> images;
  std::unique_ptr<ResourceNames> names;
  std::unique_ptr<hv::Hypervisor> hypervisor;
  hv::SimHypervisor* sim = nullptr;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<EventHub> events;
  DomainRegistry registry;
  UnmanagedDomains unmanaged;
  std::unique_ptr<OperationEngine> engine;
  std::unique_ptr<FactsPoller> poller;
  std::unique_ptr<DecisionCourier> courier;
  PeerCredentialTable peers;
  std::unique_ptr<CallGate> gate;
  std::unique_ptr<DomainServiceImpl> domain_service;
  std::unique_ptr<HostServiceImpl> host_service;
  std::unique_ptr<OperationServiceImpl> operation_service;
  std::unique_ptr<SimulatorServiceImpl> simulator_service;
  std::unique_ptr<AccessServiceImpl> access_service;
  std::unique_ptr<EventServiceImpl> event_service;
  std::unique_ptr<MigrationServiceImpl> migration_service;
  // Part of the contract, not built yet: every method answers UNIMPLEMENTED.
  xenia::v1::AgentService::CallbackService agent_service;
  xenia::v1::FleetService::CallbackService fleet_service;
  std::unique_ptr<RpcServer> rpc;
  bool stopped = false;
};

namespace {

absl::StatusOr<gid_t> LookUpGroup(const std::string& name) {
  if (name.empty()) return static_cast<gid_t>(-1);
  group* g = getgrnam(name.c_str());
  if (g == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("socket_group: no group named \"", name, "\""));
  }
  return g->gr_gid;
}

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

absl::Status CheckHostId(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 63;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      ok = false;
    }
  }
  if (!ok || id == "-") {
    return absl::InvalidArgumentError(
        absl::StrCat("host_id: \"", id, "\" must be 1 to 63 letters, digits, '.', '_' or '-'"));
  }
  return absl::OkStatus();
}

// The host id is chosen at first start and kept, so resource names stay
// stable when the hostname changes.
absl::StatusOr<std::string> ResolveHostId(store::Store& store, const DaemonConfig& config,
                                          Journal& journal, const Clock& clock) {
  absl::StatusOr<std::optional<std::string>> stored = store.GetMeta("host_id");
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) {
    if (!config.host_id.empty() && config.host_id != **stored) {
      return absl::FailedPreconditionError(absl::StrCat(
          "host_id \"", config.host_id, "\" differs from \"", **stored,
          "\", the id this state directory was created with; resource names would change"));
    }
    return **stored;
  }
  std::string id = config.host_id.empty() ? Hostname() : config.host_id;
  if (absl::Status s = CheckHostId(id); !s.ok()) return s;
  JournalChange change;
  change.meta.emplace_back("host_id", id);
  if (absl::Status s = journal.Write(std::move(change), clock.Now()); !s.ok()) return s;
  return id;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Xeniad>> Xeniad::Start(const DaemonConfig& config,
                                                      const Clock& clock, Logger& logger) {
  auto p = std::make_unique<Parts>(config, clock, logger);
  if (!config.listen.empty() && !IsLoopbackAddress(config.listen)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "listen: refusing ", config.listen,
        ": xeniad serves TCP only on loopback addresses until TLS is configured, because without "
        "TLS anyone who can reach the port could control every guest; use 127.0.0.1:PORT or the "
        "unix socket"));
  }
  absl::StatusOr<gid_t> group = LookUpGroup(config.socket_group);
  if (!group.ok()) return group.status();
  std::string peer_token;
  if (!config.peer_token_file.empty()) {
    absl::StatusOr<std::string> token = ReadPeerToken(config.peer_token_file);
    if (!token.ok()) return token.status();
    peer_token = *std::move(token);
  }

  p->backend = ChooseBackend(config.backend);

  absl::StatusOr<std::unique_ptr<StateDirLock>> lock = StateDirLock::Acquire(config.state_dir);
  if (!lock.ok()) return lock.status();
  p->lock = *std::move(lock);

  absl::StatusOr<std::unique_ptr<UnixSocketListener>> listener =
      UnixSocketListener::Bind(config.socket, *group, logger);
  if (!listener.ok()) return listener.status();
  p->listener = *std::move(listener);

  absl::StatusOr<std::unique_ptr<images::ImageDirectory>> image_dir = images::ImageDirectory::Open(
      config.image_dir.empty() ? absl::StrCat(config.state_dir, "/images") : config.image_dir);
  if (!image_dir.ok()) return image_dir.status();
  p->images = *std::move(image_dir);
  if (absl::StatusOr<int> stale = p->images->RemoveStaleStaging(); !stale.ok()) {
    logger.Warn("cannot clear the image directory of unfinished saves",
                {{"error", std::string(stale.status().message())}});
  } else if (*stale > 0) {
    logger.Info("removed the staging files of saves cut short when xeniad stopped",
                {{"image_dir", p->images->path()}, {"files", *stale}});
  }

  store::StoreOptions store_options;
  store_options.path = absl::StrCat(config.state_dir, "/xenia.db");
  absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(store_options);
  if (!store.ok()) return store.status();
  p->store = *std::move(store);
  absl::StatusOr<int64_t> last_event = p->store->LastEventSequence();
  if (!last_event.ok()) return last_event.status();
  p->journal = std::make_unique<Journal>(*p->store, *last_event);

  absl::StatusOr<std::string> host_id = ResolveHostId(*p->store, config, *p->journal, clock);
  if (!host_id.ok()) return host_id.status();
  p->names = std::make_unique<ResourceNames>(*host_id);

  EventHubOptions event_options;
  event_options.retention = config.event_retention;
  event_options.host_resource = p->names->Host();
  absl::StatusOr<std::unique_ptr<EventHub>> events =
      EventHub::Start(event_options, *p->store, *p->journal, clock, logger);
  if (!events.ok()) return events.status();
  p->events = *std::move(events);
  p->journal->SetEventSink(
      [hub = p->events.get()](const std::vector<xenia::v1::Event>& batch) { hub->Publish(batch); });

  if (p->backend.backend == "libxl") {
    absl::StatusOr<std::unique_ptr<hv::LibxlHypervisor>> libxl_hv =
        hv::LibxlHypervisor::Open(clock, logger);
    if (!libxl_hv.ok()) {
      return absl::Status(
          libxl_hv.status().code(),
          absl::StrCat("backend libxl (", p->backend.reason, "): ", libxl_hv.status().message()));
    }
    p->hypervisor = *std::move(libxl_hv);
  } else {
    hv::SimHostConfig sim = config.sim;
    if (sim.state_file.empty()) sim.state_file = absl::StrCat(config.state_dir, "/sim-host.state");
    absl::StatusOr<std::unique_ptr<hv::SimHypervisor>> sim_hv =
        hv::SimHypervisor::Open(sim, clock, logger);
    if (!sim_hv.ok()) return sim_hv.status();
    p->sim = sim_hv->get();
    p->hypervisor = *std::move(sim_hv);
  }

  const absl::Time recovery_began = absl::Now();
  absl::StatusOr<RecoveryReport> recovered =
      RecoverAtStart(*p->store, *p->journal, p->registry, *p->hypervisor, *p->names, clock, logger);
  if (!recovered.ok()) return recovered.status();
  const absl::Duration recovery_took = absl::Now() - recovery_began;

  OperationEngineOptions engine_options;
  engine_options.workers = config.workers;
  engine_options.max_queue_per_domain = config.max_queue_per_domain;
  p->engine = std::make_unique<OperationEngine>(engine_options, *p->journal, *p->store, p->registry,
                                                *p->hypervisor, *p->names, clock, logger);
  if (absl::Status s = p->engine->LoadHistory(); !s.ok()) return s;
  p->hypervisor->Watch(p->engine.get());
  p->engine->Start();
  for (const RecoveryReport::Reconcile& r : recovered->reconcile) {
    p->engine->RequestReconcile(r.uuid, "its guest went down while xeniad was stopped", r.action);
  }
  if (!recovered->migration_decisions.empty()) {
    if (peer_token.empty()) {
      logger.Warn(
          "migrations were under way when xeniad stopped, but without a peer token it "
          "cannot tell their destinations what became of them",
          {{"migrations", static_cast<int64_t>(recovered->migration_decisions.size())}});
    } else {
      p->courier = std::make_unique<DecisionCourier>(peer_token, recovered->migration_decisions,
                                                     absl::Minutes(10), logger);
    }
  }
  p->poller = std::make_unique<FactsPoller>(config.status_refresh_interval, *p->hypervisor,
                                            p->registry, p->unmanaged, *p->engine, clock, logger);
  // One pass now, so that the first listing already shows unmanaged domains.
  p->poller->PollOnce();
  p->poller->Start();

  CallGateOptions gate_options;
  gate_options.daemon_uid = geteuid();
  gate_options.admin_gid = *group;
  gate_options.peer_token = peer_token;
  p->gate = std::make_unique<CallGate>(gate_options, p->peers);
  p->domain_service =
      std::make_unique<DomainServiceImpl>(*p->gate, *p->engine, *p->hypervisor, p->registry,
                                          p->unmanaged, *p->names, *p->images, peer_token);
  HostIdentity identity{Hostname(), p->backend.backend, p->backend.reason, clock.Now()};
  p->host_service = std::make_unique<HostServiceImpl>(*p->gate, *p->hypervisor, p->registry,
                                                      p->unmanaged, *p->names, identity);
  p->operation_service =
      std::make_unique<OperationServiceImpl>(*p->gate, *p->engine, *p->store, *p->names);
  p->simulator_service = std::make_unique<SimulatorServiceImpl>(*p->gate, p->sim, p->registry,
                                                                p->unmanaged, *p->names);
  p->access_service = std::make_unique<AccessServiceImpl>(*p->gate);
  p->migration_service =
      std::make_unique<MigrationServiceImpl>(*p->gate, *p->engine, p->registry, p->unmanaged,
                                             *p->names, p->hypervisor->image_format(), logger);
  p->event_service = std::make_unique<EventServiceImpl>(*p->gate, *p->events, *p->names,
                                                        config.event_watcher_buffer);

  RpcServerOptions rpc_options;
  rpc_options.tcp_address = config.listen;
  absl::StatusOr<std::unique_ptr<RpcServer>> rpc =
      RpcServer::Start(rpc_options,
                       {p->host_service.get(), p->domain_service.get(), p->operation_service.get(),
                        p->event_service.get(), p->migration_service.get(), &p->agent_service,
                        p->access_service.get(), &p->fleet_service, p->simulator_service.get()},
                       logger);
  if (!rpc.ok()) return rpc.status();
  p->rpc = *std::move(rpc);
  p->listener->Start(p->rpc->server(), &p->peers);

  logger.Info("xeniad ready",
              {{"socket", config.socket},
               {"state_dir", config.state_dir},
               {"backend", p->backend.backend},
               {"backend_reason", p->backend.reason},
               {"host_id", *host_id},
               {"domains", recovered->domains},
               {"running", recovered->running},
               {"lost", recovered->lost},
               {"unmanaged", recovered->unmanaged},
               {"adopted", recovered->adopted},
               {"operations_settled", recovered->operations_done + recovered->operations_failed},
               {"recovery_ms", absl::ToDoubleMilliseconds(recovery_took)}});
  return std::unique_ptr<Xeniad>(new Xeniad(std::move(p)));
}

Xeniad::Xeniad(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Xeniad::~Xeniad() { Stop(); }

void Xeniad::Stop() {
  Parts& p = *parts_;
  if (p.stopped) return;
  p.stopped = true;
  p.logger.Info("xeniad stopping");
  p.listener->Stop();
  // Watchers are told to resume elsewhere, so that no stream holds up the stop.
  p.events->CloseAll(absl::UnavailableError("xeniad is stopping"));
  p.poller->Stop();
  if (p.courier) p.courier->Stop();
  p.engine->ReleaseWaiters();
  p.rpc->Shutdown(p.clock.Now() + p.config.shutdown_grace);
  p.engine->Stop();
  // The backend's event thread calls into the engine: stop it first.
  p.hypervisor.reset();
  p.engine.reset();
  p.journal->SetEventSink(nullptr);
  p.events.reset();
  p.store.reset();
  p.logger.Info("xeniad stopped");
}

const std::string& Xeniad::socket_path() const { return parts_->config.socket; }
int Xeniad::tcp_port() const { return parts_->rpc->tcp_port(); }
const std::string& Xeniad::backend() const { return parts_->backend.backend; }

}  // namespace xenia
