namespace SftLab.Training;

/// <summary>Where a run is: saved in every checkpoint as trainer_state.json, so a resumed run continues exactly.</summary>
public sealed class TrainerState
{
    /// <summary>Optimizer steps done.</summary>
    public long GlobalStep { get; set; }
    /// <summary>Epochs completed.</summary>
    public int Epoch { get; set; }
    /// <summary>Optimizer steps done in the current epoch (the data order is (seed, epoch), so this is the position in it).</summary>
    public int StepInEpoch { get; set; }
    /// <summary>Non-padding tokens processed.</summary>
    public long TokensSeen { get; set; }
    /// <summary>Every logged and evaluation metric, in order.</summary>
    public List<Dictionary<string, double>> LogHistory { get; set; } = new();
    /// <summary>Set by a callback (e.g. early stopping) to end the run after this step.</summary>
    public bool ShouldStop { get; set; }
    /// <summary>Best evaluation loss so far (for early stopping), if any.</summary>
    public double? BestEvalLoss { get; set; }
}
