import Foundation

/// Executables of this package built beside the test bundle, for tests that run them as a
/// user would.
public enum BuiltExecutable {
    /// The path of the executable product `name` (`harness`, `treectl`).
    public static func path(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// The `harness` executable built beside the test bundle.
public enum HarnessExecutable {
    public static var path: String { BuiltExecutable.path("harness") }
}
