// The pure rules of a simulated device's two ends, and the naming rules
// every backend shares (Xen's VBD numbering, MACs, PCI addresses).
#include "daemon/hypervisor/sim/guest_devices.h"

#include "gtest/gtest.h"

namespace xenia::hv {
namespace {

constexpr int64_t kMs = 1'000'000;

SimDevice Disk(int64_t added_ns) {
  SimDevice d;
  d.kind = DeviceKind::kDisk;
  d.disk.set_vdev("xvdb");
  d.devid = 51728;
  d.added_guest_ns = added_ns;
  return d;
}

GuestDeviceHabits Booted(int64_t boot_ns, bool refuses = false) {
  GuestDeviceHabits h;
  h.boot_ns = boot_ns;
  h.refuses_release = refuses;
  return h;
}

TEST(VdevToDevidTest, FollowsXensVbdInterface) {
  EXPECT_EQ(*VdevToDevid("xvda"), 202 << 8);
  EXPECT_EQ(*VdevToDevid("xvdb"), 51728);
  EXPECT_EQ(*VdevToDevid("xvda1"), (202 << 8) | 1);
  EXPECT_EQ(*VdevToDevid("xvdp15"), (202 << 8) | (15 << 4) | 15);
  // Past 16 disks, or 15 partitions: the extended scheme.
  EXPECT_EQ(*VdevToDevid("xvdq"), (1 << 28) | (16 << 8));
  EXPECT_EQ(*VdevToDevid("xvda16"), (1 << 28) | 16);
  EXPECT_EQ(*VdevToDevid("xvdaa"), (1 << 28) | (26 << 8));
  EXPECT_EQ(*VdevToDevid("hda"), 3 << 8);
  EXPECT_EQ(*VdevToDevid("hdb"), (3 << 8) | 64);
  EXPECT_EQ(*VdevToDevid("hdc"), 22 << 8);
  EXPECT_EQ(*VdevToDevid("sdb"), (8 << 8) | 16);
  EXPECT_EQ(*VdevToDevid("d3p2"), (1 << 28) | (3 << 8) | 2);
  EXPECT_EQ(*VdevToDevid("51728"), 51728);
  for (const char* bad : {"", "xvd", "xvdA", "xvdb0", "hde", "sd1", "vda", "-3", "xvdb!", "d"}) {
    absl::StatusOr<int32_t> devid = VdevToDevid(bad);
    EXPECT_EQ(devid.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(DeviceNamesTest, MacsAndPciAddresses) {
  EXPECT_TRUE(IsMacAddress("00:16:3e:0A:bc:ff"));
  EXPECT_FALSE(IsMacAddress("00:16:3e:0a:bc"));
  EXPECT_FALSE(IsMacAddress("00-16-3e-0a-bc-ff"));
  EXPECT_TRUE(IsPciAddress("03:00.0"));
  EXPECT_TRUE(IsPciAddress("0000:3a:1F.7"));
  EXPECT_FALSE(IsPciAddress("03:00.8"));
  EXPECT_FALSE(IsPciAddress("3:00.0"));
  EXPECT_EQ(NormalizePciAddress("3A:00.1"), "0000:3a:00.1");
  EXPECT_EQ(NormalizePciAddress("0001:3a:00.1"), "0001:3a:00.1");
  EXPECT_TRUE(NamesDevice(DeviceKind::kNic, "00:16:3e:0a:0b:0c", 2, "00:16:3E:0A:0B:0C"));
  EXPECT_TRUE(NamesDevice(DeviceKind::kNic, "00:16:3e:0a:0b:0c", 2, "2"));
  EXPECT_FALSE(NamesDevice(DeviceKind::kNic, "00:16:3e:0a:0b:0c", 2, "1"));
  EXPECT_TRUE(NamesDevice(DeviceKind::kPci, "0000:03:00.0", 0, "03:00.0"));
  EXPECT_FALSE(NamesDevice(DeviceKind::kDisk, "xvdb", 51728, "xvdc"));
}

TEST(GuestDevicesTest, AHotPluggedDeviceConnectsOnceTheGuestHasBooted) {
  const GuestDeviceHabits habits = Booted(2000 * kMs);
  // Added while the guest boots: it connects a moment after boot.
  SimDevice early = Disk(500 * kMs);
  EXPECT_EQ(ConnectGuestNanos(early, habits), 2000 * kMs + kFrontendConnectNs);
  DeviceFacts f = DeviceFactsAt(early, habits, 1000 * kMs);
  EXPECT_EQ(f.backend_state, XenbusState::kInitWait);
  EXPECT_EQ(f.frontend_state, XenbusState::kInitialising);
  EXPECT_EQ(DeviceStatusOf(f).state(), xenia::v1::DeviceStatus::ATTACHING);
  f = DeviceFactsAt(early, habits, 2000 * kMs + kFrontendConnectNs);
  EXPECT_EQ(f.backend_state, XenbusState::kConnected);
  EXPECT_EQ(DeviceStatusOf(f).state(), xenia::v1::DeviceStatus::ATTACHED);
  // Built with the domain: found as it boots.
  EXPECT_EQ(ConnectGuestNanos(Disk(0), habits), 2000 * kMs);
}

TEST(GuestDevicesTest, AReleaseFollowsTheCloseUnlessTheGuestHoldsOn) {
  SimDevice d = Disk(10 * kMs);
  d.close_guest_ns = 500 * kMs;
  const GuestDeviceHabits lets_go = Booted(0);
  EXPECT_EQ(ReleaseGuestNanos(d, lets_go), 500 * kMs + kFrontendReleaseNs);
  DeviceFacts f = DeviceFactsAt(d, lets_go, 550 * kMs);
  EXPECT_TRUE(f.closing);
  EXPECT_EQ(f.backend_state, XenbusState::kClosing);
  EXPECT_EQ(f.frontend_state, XenbusState::kConnected);
  EXPECT_EQ(DeviceStatusOf(f).state(), xenia::v1::DeviceStatus::DETACHING);
  f = DeviceFactsAt(d, lets_go, 600 * kMs);
  EXPECT_FALSE(f.closing);
  EXPECT_EQ(f.backend_state, XenbusState::kClosed);
  EXPECT_EQ(DeviceStatusOf(f).state(), xenia::v1::DeviceStatus::CLOSED);

  EXPECT_EQ(ReleaseGuestNanos(d, Booted(0, /*refuses=*/true)), kNever);
  EXPECT_TRUE(DeviceFactsAt(d, Booted(0, true), 100'000 * kMs).closing);
  // A frontend that never connected holds nothing: closed at once.
  EXPECT_EQ(ReleaseGuestNanos(d, Booted(10'000 * kMs, true)), 500 * kMs);
  // Not asked: never released.
  EXPECT_EQ(ReleaseGuestNanos(Disk(0), lets_go), kNever);
}

TEST(GuestDevicesTest, PciOfAnHvmGuestHasNoXenbusEnds) {
  SimDevice pci;
  pci.kind = DeviceKind::kPci;
  pci.pci.set_bdf("0000:03:00.0");
  GuestDeviceHabits hvm = Booted(0);
  hvm.type = xenia::v1::HVM;
  DeviceFacts f = DeviceFactsAt(pci, hvm, 10 * kMs);
  EXPECT_EQ(f.backend_state, XenbusState::kUnknown);
  EXPECT_EQ(DeviceStatusOf(f).state(), xenia::v1::DeviceStatus::ATTACHED);
  EXPECT_EQ(DeviceStatusOf(f).backend_state(), "");
}

TEST(GuestDevicesTest, DevidsAndMacsFollowLibxl) {
  xenia::v1::DomainSpec spec;
  spec.add_disks()->set_vdev("xvda");
  spec.add_network_interfaces();
  spec.add_network_interfaces()->set_mac("00:16:3e:00:00:01");
  spec.add_pci_devices()->set_bdf("03:00.1");
  absl::StatusOr<std::vector<SimDevice>> devices =
      DevicesFromSpec(spec, [](int i) { return "00:16:3e:aa:aa:0" + std::to_string(i); });
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_EQ(devices->size(), 4u);
  EXPECT_EQ((*devices)[0].devid, 51712);
  EXPECT_EQ((*devices)[1].nic.mac(), "00:16:3e:aa:aa:00");
  EXPECT_EQ((*devices)[2].devid, 1);
  EXPECT_EQ((*devices)[3].Id(), "0000:03:00.1");
  EXPECT_EQ(NextDevid(*devices, DeviceKind::kNic), 2);
  EXPECT_EQ(NextDevid(*devices, DeviceKind::kPci), 1);

  // A record survives its round trip through the state directory.
  SimDevice closing = (*devices)[2];
  closing.close_guest_ns = 77;
  absl::StatusOr<SimDevice> back = DeviceFromProto(DeviceToProto(closing));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Id(), closing.Id());
  EXPECT_EQ(back->close_guest_ns, 77);
  EXPECT_EQ(DeviceFromProto(DeviceToProto((*devices)[0]))->close_guest_ns, kNever);
  EXPECT_EQ(DeviceFromProto(xenia::v1::SimulatedDevice()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xenia::hv
