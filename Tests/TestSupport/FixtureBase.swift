import Foundation
import ToolSupport

/// A minimal base root filesystem, as a tar.gz, for composes that need a shell to run
/// scriptlets: a static busybox as `/usr/bin/busybox` with applet links, a merged-/usr layout
/// (`bin`, `sbin`, `lib`, `lib64` link to `usr/...`), `root` in `/etc/passwd` and `/etc/group`,
/// an os-release saying Fixture OS, and empty `/tmp` and `/var/tmp`.
public enum FixtureBase {
    /// Where the static busybox is taken from (Debian's `busybox-static`; the dynamically
    /// linked `busybox` package would not run inside a root without libc).
    private static let busyboxSource = "/bin/busybox"

    /// The busybox applets linked into `/usr/bin`: enough for the fixture scriptlets.
    public static let applets = [
        "sh", "mkdir", "cat", "echo", "cp", "mv", "rm", "ln", "chmod", "chown", "touch", "ls",
        "test", "true", "false", "grep", "mount", "mknod", "sed", "stat",
    ]

    /// Writes the archive to `path` with GNU tar: entries sorted by name, every one owned by 0:0.
    /// `hostPrograms` (e.g. `/usr/sbin/useradd`) are copied in with the shared libraries they
    /// load, plus the shadow files such tools expect.
    public static func writeArchive(to path: String, hostPrograms: [String] = []) throws {
        let staging = try TemporaryDirectory(prefix: "fixture-base-")
        defer { staging.remove() }
        let root = staging.path
        try populate(root)
        if !hostPrograms.isEmpty { try addHostPrograms(hostPrograms, to: root) }
        let topLevel = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        try Program.check(["tar", "-C", root, "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
                           "-czf", path] + topLevel)
    }

    /// The archive, written once per test process on first use.
    public static func shared() throws -> String {
        try sharedArchive.get()
    }

    private static let sharedArchive = Result<String, any Error> {
        let path = try ProcessScratchDirectory.path() + "/base.tar.gz"
        try writeArchive(to: path)
        return path
    }

    private static func populate(_ root: String) throws {
        for directory in ["usr", "usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "etc", "var"] {
            try makeDirectory(root + "/" + directory, mode: 0o755)
        }
        for directory in ["tmp", "var/tmp"] {
            try makeDirectory(root + "/" + directory, mode: 0o1777)
        }
        for merged in ["bin", "sbin", "lib", "lib64"] {
            try link(root + "/" + merged, to: "usr/" + merged)
        }
        try FileManager.default.copyItem(atPath: busyboxSource, toPath: root + "/usr/bin/busybox")
        try setMode(root + "/usr/bin/busybox", 0o755)
        for applet in applets {
            try link(root + "/usr/bin/" + applet, to: "busybox")
        }
        try write("root:x:0:0:root:/root:/bin/sh\n", to: root + "/etc/passwd")
        try write("root:x:0:\n", to: root + "/etc/group")
        try write("ID=fixtureos\nVERSION_ID=1\nNAME=\"Fixture OS\"\n", to: root + "/etc/os-release")
    }

    /// Copies programs and every library `ldd` lists for them to the same paths in `root`.
    private static func addHostPrograms(_ programs: [String], to root: String) throws {
        var files = Set(programs)
        for program in programs {
            let listing = try Program.check(["ldd", program]).stdout
            for line in listing.split(whereSeparator: \.isNewline) {
                if let path = line.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("/") }) { files.insert(String(path)) }
            }
        }
        for file in files.sorted() {
            // The base's /lib and /lib64 are links into /usr: copy under /usr as well.
            let destination = root + (file.hasPrefix("/usr/") ? file : "/usr" + file)
            try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Program.check(["cp", "--dereference", file, destination])
        }
        try write("root:*:19000:0:99999:7:::\n", to: root + "/etc/shadow")
        try write("root:*::\n", to: root + "/etc/gshadow")
        try FileManager.default.copyItem(atPath: "/etc/login.defs", toPath: root + "/etc/login.defs")
    }

    private static func makeDirectory(_ path: String, mode: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try setMode(path, mode)
    }

    private static func link(_ path: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    private static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try setMode(path, 0o644)
    }

    /// Sets the mode explicitly, so the umask of whoever runs the tests does not leak in.
    private static func setMode(_ path: String, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}
