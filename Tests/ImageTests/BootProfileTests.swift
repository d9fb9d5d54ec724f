import Foundation
import Machine
import Results
import TestSupport
import Testing

/// A boot's profile from what the host saw and what the guest's systemd and journal say.
@Suite struct BootProfileTests {
    @Test func phasesComeFromSystemdsTimestampsAndTheHostsClock() throws {
        let start = Date(timeIntervalSince1970: 1_000_000)
        let clock = BootClock(poweredOn: start, kernelSeen: start.addingTimeInterval(6.5), answered: start.addingTimeInterval(24))
        let profile = BootProfile.parse(BootProfileAnswer.debian, clock: clock)
        #expect(profile.firmwareAndLoader == 6.5 && profile.ready == 24)
        #expect(profile.kernel == 2.1)
        #expect(abs((profile.initramfs ?? 0) - 7.5) < 1e-9)
        #expect(abs((profile.prepareRoot ?? 0) - 0.8) < 1e-9)
        #expect(profile.userspaceToUnit.keys.sorted() == ["qemu-guest-agent.service", "ssh.service"], "an alias counts once")
        #expect(abs((profile.userspaceToUnit["qemu-guest-agent.service"] ?? 0) - 5.7) < 1e-9)
        #expect(profile.summary == "firmware and boot loader 6.5 s, kernel 2.1 s, initramfs 7.5 s (ostree-prepare-root 0.8 s), "
                + "userspace to qemu-guest-agent 5.7 s, userspace to ssh 6.5 s; ready 24.0 s after power-on")
    }

    /// A kernel booted without an initramfs: systemd's InitRD timestamp is 0. After a reboot
    /// the host's part begins with the request: the shutdown is in it, and the summary says so.
    @Test func withoutAnInitramfsTheKernelRunsUntilUserspace() {
        let start = Date()
        let profile = BootProfile.parse("initrd 0\nuserspace 4200000\nunit qemu-guest-agent.service 9200000\n",
                                        clock: BootClock(poweredOn: start, isReboot: true, kernelSeen: start.addingTimeInterval(9),
                                                         answered: start.addingTimeInterval(20)))
        #expect(profile.kernel == 4.2 && profile.initramfs == nil && profile.prepareRoot == nil)
        #expect(profile.userspaceToUnit == ["qemu-guest-agent.service": 5.0])
        #expect(profile.summary == "shutdown, firmware and boot loader 9.0 s, kernel 4.2 s, userspace to qemu-guest-agent 5.0 s; "
                + "ready 20.0 s after the reboot request")
    }

    /// A guest without systemd (or a shell that printed nothing useful) gives no guest phases.
    @Test func anAnswerWithoutTimestampsGivesOnlyTheHostsView() throws {
        let start = Date()
        let profile = BootProfile.parse("sh: systemctl: not found\n[ garbage ]\n",
                                        clock: BootClock(poweredOn: start, answered: start.addingTimeInterval(30)))
        #expect(profile.kernel == nil && profile.userspaceToUnit.isEmpty)
        #expect(profile.summary == "no guest timestamps; ready 30.0 s after power-on")
        #expect(try JSONDecoder().decode(BootProfile.self, from: JSONEncoder().encode(profile)) == profile)
    }
}
