import Foundation
import TestSupport
import Testing
import ToolSupport

/// `harness image seed`: the NoCloud volume read back with xorriso, and the inputs it refuses
/// (with one line naming the file, and no seed written).
@Suite struct SeedCommandTests {
    let scratch: TemporaryDirectory

    init() throws { scratch = try TemporaryDirectory(prefix: "seed-tests-") }

    func seed(_ arguments: [String]) throws -> ProgramResult {
        try Program.run([HarnessExecutable.path, "image", "seed"] + arguments)
    }

    /// The volume's label and its two files, as cloud-init's NoCloud finds them.
    func readVolume(_ iso: String) throws -> (label: String, files: [String: String]) {
        let info = try Program.check(["xorriso", "-indev", iso, "-pvd_info"])
        let label = (info.stdout + info.stderr).split(separator: "\n").first { $0.hasPrefix("Volume Id") }
            .map { String($0.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) } ?? ""
        let out = scratch.path + "/extracted-\(UUID().uuidString)"
        try Program.check(["xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/", out])
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: out) {
            files[name] = try String(contentsOfFile: out + "/" + name, encoding: .utf8)
        }
        return (label, files)
    }

    @Test func anSSHKeyMakesAUserWithThatKey() throws {
        defer { scratch.remove() }
        let key = scratch.path + "/id.pub"
        try "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyForTheSeedTest0000000000000 someone@host\n"
            .write(toFile: key, atomically: true, encoding: .utf8)
        let iso = scratch.path + "/seed.iso"
        let result = try seed(["-o", iso, "--ssh-key", key, "--user", "ops", "--hostname", "node-1.example"])
        #expect(result.status == 0, "\(result.stderr)")
        let volume = try readVolume(iso)
        #expect(volume.label == "cidata")
        #expect(Set(volume.files.keys) == ["user-data", "meta-data"])
        let userData = try #require(volume.files["user-data"])
        #expect(userData.hasPrefix("#cloud-config\n"))
        #expect(userData.contains("name: ops") && userData.contains("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyForTheSeedTest0000000000000 someone@host"))
        let metaData = try #require(volume.files["meta-data"])
        #expect(metaData.contains("local-hostname: node-1.example") && metaData.contains("instance-id: harness-"))
    }

    @Test func userDataIsCopiedAsItIs() throws {
        defer { scratch.remove() }
        let userData = scratch.path + "/user-data.yaml"
        let text = "#cloud-config\nwrite_files:\n  - path: /etc/hello\n    content: hi\n"
        try text.write(toFile: userData, atomically: true, encoding: .utf8)
        let iso = scratch.path + "/seed.iso"
        #expect(try seed(["-o", iso, "--user-data", userData]).status == 0)
        #expect(try readVolume(iso).files["user-data"] == text)
    }

    @Test func badInputIsNamedAndWritesNothing() throws {
        defer { scratch.remove() }
        let iso = scratch.path + "/seed.iso"
        func refused(_ arguments: [String], saying expected: String) throws {
            let result = try seed(["-o", iso] + arguments)
            #expect(result.status != 0, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: iso))
        }
        let badYAML = scratch.path + "/bad.yaml"
        try "#cloud-config\nusers: [unclosed\n".write(toFile: badYAML, atomically: true, encoding: .utf8)
        try refused(["--user-data", badYAML], saying: "\(badYAML): user-data is not valid YAML")
        let list = scratch.path + "/list.yaml"
        try "#cloud-config\n- a\n- b\n".write(toFile: list, atomically: true, encoding: .utf8)
        try refused(["--user-data", list], saying: "\(list): #cloud-config user-data must be a YAML mapping")
        let plain = scratch.path + "/plain.txt"
        try "users: []\n".write(toFile: plain, atomically: true, encoding: .utf8)
        try refused(["--user-data", plain], saying: "\(plain): user-data must start with '#cloud-config'")
        let huge = scratch.path + "/huge.yaml"
        try ("#cloud-config\n" + String(repeating: "# padding\n", count: 110_000)).write(toFile: huge, atomically: true, encoding: .utf8)
        try refused(["--user-data", huge], saying: "\(huge): user-data larger than")
        let privateKey = scratch.path + "/id_ed25519"
        try "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
            .write(toFile: privateKey, atomically: true, encoding: .utf8)
        try refused(["--ssh-key", privateKey], saying: "\(privateKey): a private key")
        try refused(["--ssh-key", scratch.path + "/missing.pub"], saying: "missing.pub: cannot read the SSH key file")
        try refused([], saying: "give --user-data FILE or --ssh-key KEY")
    }
}
