import Foundation
import ToolSupport

/// Commands into a guest over SSH, as kola reaches guests: the OpenSSH client as root with a
/// key of the state directory's (`SSHKey`), to a QEMU host forward bound to 127.0.0.1.
///
/// Every command travels base64-encoded and runs under `/bin/sh -c` whatever root's login
/// shell is, with stdin from /dev/null. The guest's host key is not checked: every boot of
/// an image has the same one, the forward is on loopback, and the port is new each boot.
/// Started commands run detached in the guest (their output and status in `/run/harness-jobs`)
/// so that they survive the connection, a reboot request, or a power cut being prepared.
public struct SSHChannel: GuestChannel {
    public let port: Int
    public let identity: String

    public init(port: Int, identity: String) {
        self.port = port
        self.identity = identity
    }

    public var name: String { "SSH to 127.0.0.1:\(port)" }

    /// ssh's own exit status when it could not connect or log in.
    static let connectionFailure: Int32 = 255
    static let jobDirectory = "/run/harness-jobs"

    /// The `ssh` command line for `remoteCommand`.
    func arguments(_ remoteCommand: String, connectTimeout: Int = 10) -> [String] {
        ["ssh", "-n", "-p", String(port), "-i", identity,
         "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=\(connectTimeout)",
         // An emulated guest busy upgrading can be slow to answer: a minute before giving up.
         "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
         "root@127.0.0.1", remoteCommand]
    }

    /// The `ssh` command line that holds a reverse forward open (no command, no shell) and
    /// exits when the forward cannot be made or the guest stops answering.
    func reverseForwardArguments(guestPort: Int, hostPort: Int) -> [String] {
        var arguments = self.arguments("", connectTimeout: 10).dropLast(2).filter { $0 != "-n" }
        arguments += ["-N", "-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:\(guestPort):127.0.0.1:\(hostPort)", "root@127.0.0.1"]
        return Array(arguments)
    }

    /// `command` as a remote command line that runs it with `/bin/sh -c`: only base64's
    /// alphabet crosses the remote login shell.
    static func wrapped(_ command: String) -> String {
        "/bin/sh -c \"$(echo \(Data(command.utf8).base64EncodedString()) | base64 -d)\""
    }

    public func ping() throws -> Bool {
        guard let result = try? Program.run(arguments("true", connectTimeout: 5), timeout: .seconds(20)) else { return false }
        if result.status == Self.connectionFailure, result.stderr.contains("Permission denied") {
            throw MachineError("\(name): the guest's sshd refuses root with \(identity): \(result.stderr.lastLinesOnOneLine(1))")
        }
        return result.status == 0
    }

    public func run(_ command: String, timeout: TimeInterval) throws -> GuestCommandResult {
        let result: ProgramResult
        do {
            result = try Program.run(arguments(Self.wrapped(command)), timeout: .seconds(timeout))
        } catch let error as ProgramError {
            if case .timedOut = error.kind { throw MachineError("'\(command)' did not finish within \(Int(timeout)) s (\(name))") }
            throw MachineError("\(name): \(error)")
        }
        // 255 is also what a command exiting 255 gives: such a command reads as a lost channel.
        guard result.status != Self.connectionFailure else {
            throw MachineError("\(name) failed: \(result.stderr.lastLinesOnOneLine(2))")
        }
        return GuestCommandResult(exitCode: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    public func start(_ command: String, environment: [String]) throws -> Int {
        let job = Int.random(in: 1...Int(Int32.max))
        let prefix = environment.map { "export " + $0.shellQuoted + "; " }.joined()
        let script = """
            mkdir -p \(Self.jobDirectory) && cd \(Self.jobDirectory) && \
            ( setsid /bin/sh -c \((prefix + command).shellQuoted) </dev/null >\(job).out 2>\(job).err; \
            echo $? >\(job).status.new && mv \(job).status.new \(job).status ) </dev/null >/dev/null 2>&1 &
            """
        let result = try run(script, timeout: 60)
        guard result.exitCode == 0 else {
            throw MachineError("could not start '\(command)' over \(name): \(result.stderr.lastLinesOnOneLine(2))")
        }
        return job
    }

    public func status(of process: Int) throws -> GuestCommandResult? {
        let base = Self.jobDirectory + "/\(process)"
        let result = try run("""
            [ -e \(base).status ] || exit 3
            cat \(base).status; base64 -w0 \(base).out; echo; base64 -w0 \(base).err; echo
            """, timeout: 60)
        if result.exitCode == 3 { return nil }
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard result.exitCode == 0, lines.count >= 3, let status = Int32(lines[0].trimmingCharacters(in: .whitespaces)) else {
            throw MachineError("job \(process) over \(name): unreadable status: \(result.stderr.lastLinesOnOneLine(2))")
        }
        func decode(_ text: String) -> String { String(decoding: Data(base64Encoded: text) ?? Data(), as: UTF8.self) }
        return GuestCommandResult(exitCode: status, stdout: decode(lines[1]), stderr: decode(lines[2]))
    }

    public func requestReboot() {
        detach("systemctl reboot")
    }

    /// Runs `command` a moment after the connection closed, so that its going down does not
    /// look like a failed command.
    private func detach(_ command: String) {
        _ = try? run("(sleep 1; \(command)) </dev/null >/dev/null 2>&1 &", timeout: 30)
    }
}
