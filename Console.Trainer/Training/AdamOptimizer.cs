using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisionConsole.Trainer.Training;

/// <summary>Parameters updated with one step size and one L2 decay (added to their gradient as <c>decay * w</c>).</summary>
/// <param name="Parameters">The parameters of the group.</param>
/// <param name="LearningRate">Adam's step size for them.</param>
/// <param name="WeightDecay">The L2 penalty's factor; 0 for none.</param>
public sealed record AdamGroup(IReadOnlyList<Parameter> Parameters, double LearningRate, double WeightDecay);

/// <summary>
/// Adam (Kingma and Ba, 2015) over parameter groups, computed as <c>torch.optim.Adam</c> computes it (L2 decay in the
/// gradient, bias-corrected moments, epsilon after the square root). Written here because TorchSharp's optimizers hand
/// each number to libtorch as a <see cref="Scalar"/> that nothing keeps alive, which a garbage collection on another
/// thread can free in mid-call (dotnet/TorchSharp#1434; TorchScalarLifetimeTests): this one holds every Scalar it passes.
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    private readonly GroupState[] _groups;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly Scalar _beta1Scalar;
    private readonly Scalar _beta2Scalar;
    private readonly Scalar _oneMinusBeta1;
    private readonly Scalar _oneMinusBeta2;
    private readonly Scalar _epsilon;
    private readonly Scalar _one; // add_(scalar) alone makes its alpha of 1 as a temporary
    private long _steps;

    /// <summary>Creates the optimizer with zero moments for every parameter of <paramref name="groups"/>.</summary>
    public AdamOptimizer(IEnumerable<AdamGroup> groups, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(beta1), $"Adam's betas must be in [0, 1) (were {beta1} and {beta2}).");
        _beta1 = beta1;
        _beta2 = beta2;
        _beta1Scalar = beta1.ToScalar();
        _beta2Scalar = beta2.ToScalar();
        _oneMinusBeta1 = (1 - beta1).ToScalar();
        _oneMinusBeta2 = (1 - beta2).ToScalar();
        _epsilon = epsilon.ToScalar();
        _one = 1.ToScalar();
        _groups = groups.Select(g => new GroupState(g)).ToArray();
    }

    /// <summary>The number of steps taken.</summary>
    public long Steps => _steps;

    /// <summary>Sets every parameter's gradient to zero, before the next backward pass accumulates into it.</summary>
    public void ZeroGrad()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var parameter in _groups.SelectMany(g => g.Group.Parameters))
            parameter.grad?.zero_();
    }

    /// <summary>Updates every parameter that has a gradient by one Adam step.</summary>
    public void Step()
    {
        _steps++;
        var biasCorrection1 = 1 - Math.Pow(_beta1, _steps);
        var biasCorrection2 = 1 - Math.Pow(_beta2, _steps);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var rootOfCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
        foreach (var state in _groups)
        {
            using var stepSize = (-state.Group.LearningRate / biasCorrection1).ToScalar();
            for (var i = 0; i < state.Group.Parameters.Count; i++)
            {
                var parameter = state.Group.Parameters[i];
                var gradient = parameter.grad;
                if (gradient is null)
                    continue;
                if (state.Decay is { } decay)
                    gradient = gradient.add(parameter, decay);
                state.FirstMoment[i].mul_(_beta1Scalar).add_(gradient, _oneMinusBeta1);
                state.SecondMoment[i].mul_(_beta2Scalar).addcmul_(gradient, gradient, _oneMinusBeta2);
                var denominator = state.SecondMoment[i].sqrt().div_(rootOfCorrection2).add_(_epsilon, _one);
                parameter.addcdiv_(state.FirstMoment[i], denominator, stepSize);
            }
        }
    }

    /// <summary>Frees the moments and the held Scalars.</summary>
    public void Dispose()
    {
        foreach (var state in _groups)
            state.Dispose();
        _beta1Scalar.Dispose();
        _beta2Scalar.Dispose();
        _oneMinusBeta1.Dispose();
        _oneMinusBeta2.Dispose();
        _epsilon.Dispose();
        _one.Dispose();
    }

    private sealed class GroupState : IDisposable
    {
        public GroupState(AdamGroup group)
        {
            Group = group;
            Decay = group.WeightDecay != 0 ? group.WeightDecay.ToScalar() : null;
            FirstMoment = group.Parameters.Select(Zeros).ToArray();
            SecondMoment = group.Parameters.Select(Zeros).ToArray();
        }

        public AdamGroup Group { get; }

        public Scalar? Decay { get; }

        public Tensor[] FirstMoment { get; }

        public Tensor[] SecondMoment { get; }

        public void Dispose()
        {
            Decay?.Dispose();
            foreach (var moment in FirstMoment.Concat(SecondMoment))
                moment.Dispose();
        }

        // The moments live as long as the optimizer, not as long as the dispose scope it was made in.
        private static Tensor Zeros(Parameter parameter) => torch.zeros_like(parameter).DetachFromDisposeScope();
    }
}
