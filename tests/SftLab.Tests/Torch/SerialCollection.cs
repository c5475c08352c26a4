namespace SftLab.Tests.Torch;

/// <summary>Tests that measure process-wide state (live tensor count, RSS) run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial: process-wide measurements";
}
