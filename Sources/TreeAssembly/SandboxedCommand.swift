import Foundation
import ToolSupport

/// Runs a program inside an assembled tree with bubblewrap, the way rpm-ostree runs scriptlets:
/// the tree is `/`, seen through `rofiles-fuse --copyup` (`CopyUpMount`) so that files shared
/// with the package cache or other deployments are copied before they change; fresh `/dev`
/// (null, zero, random, tty: no disks), `/proc` with `/proc/sys` read-only, `/tmp` and `/run`;
/// no network, no other namespace shared, a session of its own (no typing into the caller's
/// terminal), and nothing of the host visible but what `readOnlyBinds` names.
///
/// Run as root, the program keeps only `keptCapabilities`, in a process that cannot gain more
/// (bubblewrap sets no_new_privs, so setuid and file capabilities grant nothing).
public struct SandboxedCommand {
    /// The tree the program sees as `/`.
    public var root: String
    /// Host files bound read-only into the sandbox (host path, sandbox path).
    public var readOnlyBinds: [(String, String)] = []
    /// A fixed set, and `SOURCE_DATE_EPOCH` when harness has it: tools that honour it write
    /// the same files on every compose.
    public var environment: [String: String] = [
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/root",
    ].merging(ProcessInfo.processInfo.environment.filter { $0.key == "SOURCE_DATE_EPOCH" }) { a, _ in a }

    /// What a scriptlet may still do as root, and why it needs it. Everything else is dropped:
    /// among others mounting (`sys_admin`), device nodes (`mknod`), raw disk and port access
    /// (`sys_rawio`), modules (`sys_module`), reboot (`sys_boot`), the network, the clock,
    /// and changing capability sets (`setpcap`). rpm-ostree keeps the same set plus `setpcap`.
    public static let keptCapabilities: [(name: String, why: String)] = [
        ("cap_chown", "chown of files in the tree (packages' own users)"),
        ("cap_dac_override", "root writes files whatever their mode, as rpm's scripts expect"),
        ("cap_fowner", "chmod, utime and xattrs on files root does not own"),
        ("cap_fsetid", "setuid and setgid bits survive chmod and writes"),
        ("cap_kill", "signals to the script's own children (the sandbox has its own PID namespace)"),
        ("cap_setgid", "runuser, su and setpriv to a package's group"),
        ("cap_setuid", "runuser, su and setpriv to a package's user"),
        ("cap_sys_chroot", "chroot inside the tree (some scripts chroot to /)"),
        ("cap_setfcap", "setcap on the package's binaries"),
    ]

    /// Where `root` is mounted through `CopyUpMount` already, for many runs in a row; nil
    /// mounts it for each run.
    var mountPoint: String?

    public init(root: String) { self.root = root }

    init(root: String, mountPoint: String?) {
        self.root = root
        self.mountPoint = mountPoint
    }

    /// Runs `arguments` inside the root, `input` on its stdin; returns status and output.
    public func run(_ arguments: [String], input: String? = nil) throws -> ProgramResult {
        let run = { (mountPoint: String) in
            try Program.run(bubblewrapArguments(root: mountPoint) + ["--"] + arguments, input: input.map { Data($0.utf8) })
        }
        if let mountPoint { return try run(mountPoint) }
        return try CopyUpMount.with(tree: root, run)
    }

    func bubblewrapArguments(root: String) -> [String] {
        var command = ["bwrap", "--bind", root, "/", "--dev", "/dev", "--proc", "/proc",
                       "--ro-bind", "/proc/sys", "/proc/sys",
                       "--tmpfs", "/tmp", "--tmpfs", "/run",
                       "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                       "--die-with-parent", "--new-session", "--chdir", "/", "--clearenv"]
        if geteuid() == 0 {
            command += ["--cap-drop", "ALL"] + Self.keptCapabilities.flatMap { ["--cap-add", $0.name] }
        }
        for (host, inside) in readOnlyBinds { command += ["--ro-bind", host, inside] }
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { command += ["--setenv", key, value] }
        return command
    }

    /// Whether `path` (absolute inside the root) exists there, symlinks followed inside it.
    public func exists(_ path: String) -> Bool {
        ((try? RootedTree(root).resolvedStatus(path)) ?? nil) != nil
    }
}
