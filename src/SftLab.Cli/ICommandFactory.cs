using System.CommandLine;

namespace SftLab.Cli;

/// <summary>
/// A top-level `sftlab` subcommand. Program.cs finds every implementation in this assembly
/// (a public or internal class with a parameterless constructor) and adds its command, so a new
/// capability adds one file and touches nothing else.
/// </summary>
internal interface ICommandFactory
{
    /// <summary>Builds the command with its options and action.</summary>
    Command Create();
}
