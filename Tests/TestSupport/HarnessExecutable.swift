import Foundation

/// The `harness` executable built beside the test bundle, for tests that run it as a user would.
public enum HarnessExecutable {
    public static var path: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("harness").path
    }
}
