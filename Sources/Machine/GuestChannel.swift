import Foundation

/// What a command run in the guest did.
public struct GuestCommandResult: Sendable, Equatable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String

    public init(exitCode: Int32, stdout: String, stderr: String) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// How harness reaches into a running guest: the QEMU guest agent (`GuestAgent`), or SSH
/// through a host forward on 127.0.0.1 (`SSHChannel`), as kola does for guests without the
/// agent. Scenarios, kola tests, reboot detection and power cuts only ever use this; tests of
/// the scenario runner use a fake.
public protocol GuestChannel: Sendable {
    /// The channel in words, to begin a sentence: "Guest agent", "SSH to 127.0.0.1:40022".
    var name: String { get }
    /// Whether the guest answers now. Throws when it answered and refused, which waiting
    /// will not mend (sshd refusing the key).
    func ping() throws -> Bool
    /// Runs `command` with `/bin/sh -c` in the guest and waits for it, at most `timeout`.
    func run(_ command: String, timeout: TimeInterval) throws -> GuestCommandResult
    /// Starts `command` with `/bin/sh -c`, `environment` (`K=V`) added, without waiting;
    /// returns a handle for `status(of:)`.
    func start(_ command: String, environment: [String]) throws -> Int
    /// What the command `start` returned `process` for did, or nil while it runs.
    func status(of process: Int) throws -> GuestCommandResult?
    /// Asks the guest to reboot; returns without waiting.
    func requestReboot()
}

extension GuestChannel {
    public func run(_ command: String) throws -> GuestCommandResult {
        try run(command, timeout: 600)
    }

    public func start(_ command: String) throws -> Int {
        try start(command, environment: [])
    }

    /// The guest kernel's boot id: a new one after every boot.
    public func bootID() throws -> String {
        try run("cat /proc/sys/kernel/random/boot_id", timeout: 30).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Which channel a machine is driven through.
public enum ChannelKind: Sendable, Equatable {
    /// The QEMU guest agent on a virtio-serial port: no network in the guest.
    case agent
    /// SSH as root with the private key at `identity`, through QEMU user-mode networking and
    /// a host forward to the guest's port 22 bound to 127.0.0.1 only.
    case ssh(identity: String)
}
