import Foundation
import Results
import ToolSupport

/// A booted guest as scenarios and kola tests drive it. `Machine` is the real one (a libvirt
/// domain under QEMU); unit tests of the scenario runner and the scheduler use a fake.
public protocol GuestMachine: AnyObject {
    var name: String { get }
    /// How commands reach the guest.
    var channel: any GuestChannel { get }
    /// The serial console so far.
    var console: String { get }
    /// What the host saw of the latest boot, for `BootProfile`.
    var bootClock: BootClock { get }
    /// The disk the guest writes to, read from the host after a power cut.
    var overlayPath: String { get }
    /// Fails if the console shows a panic, an emergency shell or the like, quoting the lines.
    func checkConsole() throws
    /// Reboots the guest and waits until it is back with a new boot id.
    func reboot() throws
    /// Once the first boot is checked: saves it for later first boots of the image when the
    /// machine was booted to be saved (`SpawnOptions.restore`); true when it had to boot again.
    func keepFirstBoot() throws -> Bool
    /// Cuts the power, as a power failure would: the disk keeps what reached it.
    func cutPower()
    /// Powers the machine on again on the same disk and waits for the guest.
    func powerOn() throws
    /// Cuts the power and removes its disk, or moves it to `keepingDiskAt`.
    func shutdown(keepingDiskAt keptDisk: String?)
    /// Plugs a disk into the running guest and every later power-on; returns its device.
    @discardableResult
    func attachDisk(_ disk: AttachedDisk) throws -> String
    /// Whether the disk at `path` is attached.
    func hasDisk(_ path: String) -> Bool
    /// Makes the guest's `127.0.0.1:guestPort` reach the host's `127.0.0.1:hostPort` while the
    /// returned program runs.
    func reverseForward(guestPort: Int, to hostPort: Int, timeout: TimeInterval) throws -> BackgroundProgram
}

/// Boots a machine: `Machine.boot`, or a fake in unit tests.
public typealias MachineLauncher = @Sendable (SpawnOptions) throws -> any GuestMachine

extension GuestMachine {
    /// Cuts the power and removes the disk.
    public func shutdown() {
        shutdown(keepingDiskAt: nil)
    }
}
