import ArgumentParser
import Foundation
import Machine
import ToolSupport

/// `harness`: composes OSTree trees from RPMs, builds images, boots them and runs scenarios.
@main
struct Harness: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harness",
        abstract: "Compose, build, boot and test image-based OS updates (rpm-ostree + OSTree).",
        subcommands: [ComposeCommand.self, Image.self, Spawn.self, Run.self, List.self, History.self, BisectCommand.self, PublishCommand.self,
                      CertifyCommand.self, PromoteCommand.self])

    /// Installs the interrupt clean-up, then parses and runs as usual; errors print as one
    /// `Error: ...` line on stderr with exit status 1.
    static func main() {
        EmbeddedDriver.quietLogging()
        InterruptCleanup.shared.installSignalHandlers()
        main(nil)
    }
}
