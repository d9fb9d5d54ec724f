import Foundation
import ToolSupport

/// How guests run: KVM when it really works, TCG (software emulation) otherwise.
public enum Accelerator: String, Sendable {
    case kvm, tcg

    /// This host's accelerator, probed once per process.
    public static let detected = probe()

    /// A real probe, not a look at `/dev/kvm`: on some hosts the device exists and even creates
    /// VMs, yet QEMU aborts (`failed to set MSR 0x10a`) as soon as a vCPU starts. Starts QEMU
    /// with KVM on an empty machine for a moment and watches whether it survives.
    public static func probe() -> Accelerator {
        guard FileManager.default.fileExists(atPath: "/dev/kvm") else { return .tcg }
        let script = """
            qemu-system-x86_64 -accel kvm -cpu host -machine q35 -nodefaults -display none -no-reboot \
              -m 64 -bios /usr/share/seabios/bios.bin 2>&1 &
            pid=$!; sleep 2
            if kill -0 $pid 2>/dev/null; then kill $pid; wait $pid 2>/dev/null; echo alive; fi
            """
        guard let result = try? Program.run(["timeout", "10", "sh", "-c", script]) else { return .tcg }
        return result.stdout.contains("alive") && !result.stdout.contains("failed to set MSR") ? .kvm : .tcg
    }

    /// The libvirt domain type for this accelerator.
    var domainType: String { self == .kvm ? "kvm" : "qemu" }
}
