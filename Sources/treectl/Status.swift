import ArgumentParser
import Deploy
import Foundation
import ToolSupport

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
        let status = try options.openClient().status()
        if json {
            try JSONOutput.print(status)
            return
        }
        print("State: idle")
        print("Deployments:")
        for deployment in status.deployments {
            print("\(deployment.booted ? "●" : " ") \(deployment.origin)")
            func line(_ label: String, _ value: String) {
                print(String(repeating: " ", count: max(0, 25 - label.count)) + label + ": " + value)
            }
            if let version = deployment.version { line("Version", version) }
            if deployment.base != deployment.checksum { line("BaseCommit", deployment.base) }
            line("Commit", deployment.checksum)
            if verbose {
                line("OSName", deployment.osname)
                line("Serial", "\(deployment.serial)")
            }
            if deployment.pinned { line("Pinned", "yes") }
            for (values, label) in [(deployment.baseRemovals, "RemovedBasePackages"),
                                    (deployment.baseLocalReplacements, "LocalReplacedPackages"),
                                    (deployment.requestedPackages, "LayeredPackages"),
                                    (deployment.requestedLocalPackages, "LocalPackages")] where !values.isEmpty {
                line(label, values.joined(separator: " "))
            }
        }
    }
}
