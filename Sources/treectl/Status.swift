import ArgumentParser
import Foundation
import OSTree

/// `treectl status`: the deployments, newest (next boot) first, in rpm-ostree's words and
/// its `--json` schema.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the deployments.")

    @OptionGroup var options: SysrootOptions

    @Flag(help: "Print rpm-ostree's status JSON on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "Show more about each deployment.")
    var verbose = false

    func run() throws {
        let sysroot = try OSTreeSysroot(path: options.sysroot)
        let repository = try sysroot.repository()
        let deployments = sysroot.deployments()
        let entries = deployments.map { deployment -> [String: Any] in
            let commit = try? repository.commit(deployment.checksum)
            var entry: [String: Any] = [
                "id": "\(deployment.osName)-\(deployment.checksum).\(deployment.serial)",
                "osname": deployment.osName,
                "serial": deployment.serial,
                "checksum": deployment.checksum,
                "base-checksum": deployment.checksum,
                "origin": deployment.refspec ?? "",
                "booted": deployment.isBooted,
                "staged": deployment.isStaged,
                "pinned": deployment.isPinned,
                "requested-packages": deployment.requestedPackages,
                "requested-local-packages": [String](),
                "base-removals": [String](),
                "base-local-replacements": [String](),
                "timestamp": commit?.timestamp ?? 0,
            ]
            if let version = commit?.metadata["version"]?.stringValue { entry["version"] = version }
            return entry
        }
        if json {
            let document: [String: Any] = ["deployments": entries]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
            return
        }
        print("State: idle")
        print("Deployments:")
        for entry in entries {
            let marker = entry["booted"] as? Bool == true ? "●" : " "
            print("\(marker) \(entry["origin"] as? String ?? "")")
            if let version = entry["version"] as? String { print("                  Version: \(version)") }
            print("                   Commit: \(entry["checksum"] as? String ?? "")")
            if verbose {
                print("                   OSName: \(entry["osname"] as? String ?? "")")
                if entry["pinned"] as? Bool == true { print("                   Pinned: yes") }
            }
            if let packages = entry["requested-packages"] as? [String], !packages.isEmpty {
                print("          LayeredPackages: \(packages.joined(separator: " "))")
            }
        }
    }
}
