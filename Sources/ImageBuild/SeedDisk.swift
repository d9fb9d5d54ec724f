import Foundation
import ToolSupport
import Yams

/// `harness image seed`: a cloud-init NoCloud seed, the ISO 9660 volume labelled `cidata` that
/// cloud-init finds on any attached disk, holding `user-data` and `meta-data`. The user-data is
/// given (`#cloud-config` YAML or a `#!` script, checked before anything is written) or made
/// from an SSH public key: a user with that key, as clouds make one from their key pairs.
public struct SeedDisk {
    public enum UserData {
        /// A user-data file, as it is.
        case file(String)
        /// An SSH public key file for `user`.
        case sshKey(String, user: String)
    }

    public var userData: UserData
    public var hostname: String?
    public var output: String

    /// Bounds on the inputs: user-data as cloud providers bound it, a key file far larger than any key.
    public static let maximumUserData = 1 << 20
    static let maximumKeyFile = 16 << 10

    public init(userData: UserData, hostname: String? = nil, output: String) {
        self.userData = userData
        self.hostname = hostname
        self.output = output
    }

    public func write() throws {
        let userDataText = try makeUserData()
        if let hostname, hostname.range(of: #"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"#,
                                        options: .regularExpression) == nil || hostname.count > 253 {
            throw ImageError("--hostname '\(hostname)' is not a host name")
        }
        // The instance id changes with the content: cloud-init runs its per-instance modules
        // again for a new seed.
        var metaData = "instance-id: harness-\(Digest.sha256(userDataText + (hostname ?? "")).prefix(16))\n"
        if let hostname { metaData += "local-hostname: \(hostname)\n" }

        let directory = (output as NSString).deletingLastPathComponent
        let scratch = try TemporaryDirectory(prefix: ".harness-seed-", in: directory.isEmpty ? "." : directory)
        defer { scratch.remove() }
        let volume = scratch.path + "/volume"
        try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: false)
        try userDataText.write(toFile: volume + "/user-data", atomically: false, encoding: .utf8)
        try metaData.write(toFile: volume + "/meta-data", atomically: false, encoding: .utf8)
        let iso = scratch.path + "/seed.iso"
        try Program.check(["xorriso", "-as", "mkisofs", "-quiet", "-output", iso, "-volid", "cidata",
                           "-joliet", "-rock", volume + "/user-data", volume + "/meta-data"])
        try SystemCallError.check("rename", output) { rename(iso, output) }
        Console.progress("Wrote \(output) (cidata: user-data, meta-data)")
    }

    func makeUserData() throws -> String {
        switch userData {
        case .file(let path):
            let text = try Self.read(path, limit: Self.maximumUserData, what: "user-data")
            try Self.checkUserData(text, path: path)
            return text
        case .sshKey(let path, let user):
            let key = try Self.read(path, limit: Self.maximumKeyFile, what: "SSH key").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.contains("PRIVATE KEY") else {
                throw ImageError("\(path): a private key; a seed carries the public key (\(path).pub?)")
            }
            guard !key.contains("\n"), key.range(of: #"^(ssh-|ecdsa-|sk-)[A-Za-z0-9@.-]+ [A-Za-z0-9+/=]+( .*)?$"#,
                                                 options: .regularExpression) != nil else {
                throw ImageError("\(path): not one SSH public key line (ssh-ed25519 AAAA... comment)")
            }
            guard user.range(of: #"^[a-z_][a-z0-9_-]{0,31}$"#, options: .regularExpression) != nil else {
                throw ImageError("--user '\(user)' is not a user name")
            }
            let config: [String: Any] = ["users": [[
                "name": user, "shell": "/bin/bash", "lock_passwd": true, "groups": "sudo",
                "sudo": "ALL=(ALL) NOPASSWD:ALL", "ssh_authorized_keys": [key],
            ]]]
            return "#cloud-config\n" + (try Yams.dump(object: config, sortKeys: true))
        }
    }

    /// User-data cloud-init will act on: a `#cloud-config` YAML mapping or a `#!` script.
    static func checkUserData(_ text: String, path: String) throws {
        if text.hasPrefix("#!") { return }
        guard text.hasPrefix("#cloud-config") else {
            throw ImageError("\(path): user-data must start with '#cloud-config' (YAML) or '#!' (a script)")
        }
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            let reason = "\(error)".split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
            throw ImageError("\(path): user-data is not valid YAML: \(reason)")
        }
        guard document == nil || document is [String: Any] else {
            throw ImageError("\(path): #cloud-config user-data must be a YAML mapping (keys such as users:, write_files:)")
        }
    }

    private static func read(_ path: String, limit: Int, what: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageError("\(path): cannot read the \(what) file") }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw ImageError("\(path): \(what) larger than \(ByteCount.format(UInt64(limit)))") }
        guard let text = String(data: data, encoding: .utf8) else { throw ImageError("\(path): \(what) is not UTF-8 text") }
        return text
    }
}
