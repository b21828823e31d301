"""Every term a beginner meets in NN Lab, each in one plain line.

One dictionary, used two ways: ``help=tip("epoch")`` puts a term's line in a widget's tooltip where
the term first appears, and Home's glossary lists them all. ``tip`` raises KeyError for a term that is
not here, so a tooltip can never point at a missing entry (tests/test_glossary.py checks every call).
"""

from __future__ import annotations

#: term -> one line. Keys are lower case; the displayed name is the key as written here.
TERMS: dict[str, str] = {
    # training, in the order a first run meets it
    "neuron": "Multiplies each input by a weight, adds them and a bias, and passes the sum through an activation.",
    "weight": "A number a connection multiplies its input by; training adjusts the weights.",
    "bias": "A number a neuron adds to its weighted sum, so its output can shift without any input.",
    "perceptron": "One neuron with a step output (1 if the weighted sum is above 0, else 0); it draws one "
                  "straight line.",
    "linearly separable": "Two classes that one straight line (a flat plane in more dimensions) can split; "
                          "XOR's are not.",
    "hidden layer": "A layer between the input and the output; it lets a network bend its decision boundary.",
    "mlp": "Multi-layer perceptron: layers of neurons, each fully connected to the next, with activations "
           "in between.",
    "activation": "The function a neuron applies to its weighted sum; without one, stacked layers collapse "
                  "into one straight line.",
    "pre-activation": "A neuron's weighted sum plus bias, z = w·x + b, before the activation is applied.",
    "loss": "One number saying how wrong the network's answers are; training lowers it.",
    "entropy": "How uncertain a probability distribution is: 0 when one outcome is sure, largest when all "
               "are equally likely.",
    "cross-entropy": "The loss for classification: minus the log of the probability the network gave the "
                     "right answer.",
    "binary cross-entropy": "Cross-entropy for one yes/no output: -[y·log(p) + (1-y)·log(1-p)].",
    "logits": "A network's raw output scores before softmax or sigmoid turns them into probabilities.",
    "softmax": "Turns a vector of scores into probabilities that are all positive and add up to 1.",
    "temperature": "Divides the logits before softmax: below 1 sharpens the probabilities, above 1 "
                   "flattens them.",
    "gradient": "How much the loss changes when each weight changes a little; training steps against it.",
    "derivative": "The slope of a function at a point: how fast its output changes as its input changes.",
    "backpropagation": "Computing every weight's gradient by the chain rule, from the loss back to the first "
                       "layer.",
    "chain rule": "The slope of f(g(x)) is f'(g(x)) times g'(x): backprop multiplies one such factor per layer.",
    "autograd": "PyTorch's automatic differentiation: it records each operation and computes the gradients "
                "for you.",
    "epoch": "One full pass of training over every training example.",
    "batch": "The group of examples used for one weight update; the batch size is how many are in it.",
    "learning rate": "How big a step each update takes along the gradient: too high diverges, too low crawls.",
    "sgd": "Stochastic gradient descent: step every weight against its gradient, one batch at a time.",
    "momentum": "SGD that keeps a running average of past steps, so it rolls through small bumps and "
                "speeds along steady slopes.",
    "adam": "An optimizer that gives each weight its own step size from running averages of its gradients "
            "and their squares.",
    "optimizer": "The rule that turns gradients into weight updates (SGD, momentum, Adam).",
    "seed": "The number that starts the random generator: the same seed gives the same starting weights "
            "and the same run.",
    "initialisation": "How the weights are drawn before training; it decides whether signals keep their size "
                      "through many layers.",
    "fan-in": "How many inputs feed one neuron; init schemes scale the weights by it.",
    "xavier init": "Glorot init: weight variance 2/(fan-in + fan-out), made for sigmoid and tanh.",
    "he init": "Kaiming init: weight variance 2/fan-in, made for ReLU, whose zero side halves the signal.",
    "lecun init": "Weight variance 1/fan-in; what SELU's self-normalising maths assumes.",
    "vanishing gradient": "Gradients shrinking layer by layer on the way back, so the first layers barely learn.",
    "saturation": "Where an activation is flat (sigmoid or tanh far from 0), so almost no gradient passes.",
    "dead relu": "A ReLU unit whose input is negative for every example: its slope is 0 and it stops "
                 "learning.",
    "sigmoid": "1/(1+e^-x): squashes any number into (0, 1); used for a yes/no output.",
    "tanh": "Squashes any number into (-1, 1), centred on 0.",
    "relu": "max(0, x): passes positives unchanged, zeroes negatives; the default for hidden layers.",
    "leaky relu": "Like ReLU, but negatives keep a small slope (0.01·x), so units cannot die.",
    "gelu": "A smooth ReLU: x times the chance a standard normal is below x; common in transformers.",
    "elu": "Like ReLU for positives, a smooth curve down to -alpha for negatives.",
    "silu": "x·sigmoid(x), also called swish: a smooth ReLU that dips slightly below 0.",
    "softplus": "log(1+e^x): a smooth ReLU that is never exactly 0.",
    "sign colours": "On every page, blue is positive and red negative (weights, gradients, contributions, "
                    "outputs); white or pale is near 0.",
    "decision boundary": "The line (or curve) where the network's answer switches from one class to the other.",
    "universal approximation": "One hidden layer, wide enough, can approximate any continuous function on a "
                               "bounded range (Cybenko 1989).",
    # judging a model
    "training set": "The examples the network learns from.",
    "validation set": "Examples held out of training to choose settings and decide when to stop.",
    "test set": "Examples used once, at the end, to estimate accuracy on new data; never used to choose "
                "anything.",
    "overfitting": "Fitting the training examples' noise: training accuracy rises while validation "
                   "accuracy stalls or falls.",
    "regularisation": "Anything that curbs overfitting by limiting what the network can memorise.",
    "dropout": "During training, zero a random share of units at each step, so no unit can rely on another; "
               "off at test time.",
    "early stopping": "Stop training when the validation loss stops improving, and keep the best epoch's "
                      "weights.",
    "patience": "How many epochs without improvement early stopping waits before it stops.",
    "weight decay": "Shrinks every weight a little at each step, which favours small weights (L2 "
                    "regularisation).",
    "l1": "A penalty on the sum of absolute weights: pushes many weights to exactly 0.",
    "l2": "A penalty on the sum of squared weights: keeps all weights small.",
    "accuracy": "The share of examples the network answers correctly.",
    "confusion matrix": "A table of true class against predicted class: the diagonal is right, the rest "
                        "shows which classes get mixed up.",
    "precision": "Of the examples the network called class k, the share that really are k.",
    "recall": "Of the examples that really are class k, the share the network found.",
    "one-hot": "A label written as a vector of zeros with a single 1 at the class's position.",
    "augmentation": "Training on slightly changed copies of the examples (shifted, rotated, warped) so the "
                    "network sees more variety.",
    "mnist": "70,000 handwritten digits, 28x28 pixels: the classic first image data set.",
    # tuning
    "hyperparameter": "A setting chosen before training (learning rate, layers, batch size), not learned "
                      "from the data.",
    "optuna": "A library that searches hyperparameters: it proposes settings, trains, and learns from the "
              "results.",
    "study": "An Optuna search: all its trials and their results, kept in a database.",
    "trial": "One training run with one set of hyperparameters proposed by the search.",
    "tpe": "Tree-structured Parzen Estimator: proposes settings that look like the best trials so far and "
           "unlike the worst.",
    "random search": "Proposes each trial's settings at random from the space: a baseline for smarter "
                     "samplers.",
    "pruner": "Stops an unpromising trial early when its intermediate results trail the others'.",
    "hyperband": "A pruner that starts many trials on a small budget and gives more epochs only to the best.",
    "median pruner": "Stops a trial whose result at some epoch is worse than the median of earlier trials "
                     "at that epoch.",
    "ped-anova": "An importance measure: how much each hyperparameter's values differ between the best "
                 "trials and the rest.",
    "parameter importance": "How much of the variation in trial results each hyperparameter explains.",
    "parallel coordinates": "A chart with one vertical axis per hyperparameter; each trial is a line "
                            "crossing them all.",
    "search space": "The ranges and choices each hyperparameter may take in a study.",
    # Digit Recognizer and When to Use Neural Networks
    "fine-tune": "Train an already trained network a little more, on new examples, starting from its weights.",
    "cosine distance": "1 minus the cosine of the angle between two vectors: 0 when they point the same way, 2 "
                       "when opposite.",
    "feature": "One input the model reads per example: a table's column, an image's pixel, or x1, x2 and ones "
               "computed from them such as x1².",
    "standardise": "Shift and scale each feature to mean 0 and standard deviation 1, using the training rows' "
                   "statistics.",
    "decision tree": "A model that asks one yes/no question about one feature at each split (is x3 above 2.5?) "
                     "until it reaches an answer.",
    "tree ensemble": "A model made of many decision trees whose answers are combined: random forests and "
                     "gradient boosting.",
    "random forest": "Many decision trees, each trained on a random resample of the rows and features; their "
                     "answers are averaged.",
    "gradient boosting": "Decision trees added one at a time, each fitted to the errors the trees before it "
                         "still make.",
    "cross-validation": "Split the rows into k folds; train k times, each time scoring on the fold left out, "
                        "and average the scores.",
    "fold": "One of the k equal parts cross-validation splits the rows into; each is held out once.",
    "held-out": "Rows kept out of training and used only to score the model, so the score shows how it does "
                "on new data.",
    "r²": "The regression score: 1 minus the squared error over the target's variance; 1 is perfect, 0 is "
          "no better than the mean.",
    "learning curve": "A score plotted against training: per epoch (loss and accuracy curves), or against "
                      "the number of training rows (When to Use's learning curve).",
    "uninformative feature": "A column that carries no information about the target, like a column of random "
                             "noise.",
    "feature importance": "How much a forest's splits on a feature reduced impurity, summed over its trees: a "
                          "ranking of the inputs it used.",
    # XOR Lab, Backprop Step by Step, Home
    "xor": "Exclusive or: 1 when exactly one of two inputs is 1; no single straight line splits its four points.",
    "truth table": "Every input combination of a logic gate with the output it should give.",
    "gradient descent": "Training by repeatedly moving every weight a small step against its gradient.",
    "full batch": "Every update uses all training examples at once: the gradient is their mean (the tutorial's "
                  "XOR training).",
    "forward pass": "Running inputs through the network layer by layer to get its output and the loss.",
    "local derivative": "The slope of one operation alone (a sigmoid, a sum); the chain rule multiplies them.",
    "hidden space": "The points drawn at their hidden units' values instead of their inputs; the output neuron "
                    "draws a straight line there.",
    "mse": "Mean squared error: the mean of (prediction - target)²; the usual loss for regression.",
    "plateau": "A stretch where the loss barely falls for many epochs, because the gradient is tiny there.",
    "local minimum": "A point where every small step raises the loss, though a lower point exists elsewhere.",
    "diverge": "The loss grows without bound (or becomes NaN), usually because the learning rate is too high.",
    # Network Shapes and Hyperparameter Effects
    "parameters": "The numbers a network learns: every weight and every bias (a layer from n inputs to m units "
                  "has n·m + m).",
    "capacity": "How complex a function a network can fit; it grows with its layers and neurons (its "
                "parameters).",
    "generalisation gap": "How much worse a network does on new data than on its training data (here: test "
                          "loss minus training loss).",
    # Hyperparameter Tuner
    "sampler": "The part of a study that proposes each trial's settings from the search space (TPE, random, grid).",
    "grid search": "Tries every combination of a few values per hyperparameter: thorough, but the count "
                   "multiplies with each one.",
    "successive halving": "A pruner that trains many trials briefly, keeps the best third for more epochs, and "
                          "repeats.",
    "objective": "The one number a study tries to improve; here each trial's validation accuracy.",
    "worker": "A separate process that takes trials from the study's database and trains them; several run at "
              "once.",
    "slice plot": "One hyperparameter against the result, a dot per trial: shows which values did well.",
    "contour plot": "Two hyperparameters at once: each cell is coloured by the mean result of the trials in it.",
    "rank plot": "Two hyperparameters at once, each trial a dot coloured by its rank among all trials.",
    "edf": "Empirical distribution function: for each result, the share of trials at or below it.",
    # glossary pass 2: Network Shapes, Digit Recognizer, Hyperparameter Effects, When to Use Neural Networks
    "impurity": "How mixed the classes (or how spread the targets) are among the rows at a tree's node; each "
                "split is chosen to lower it the most.",
    "standard deviation": "How far values typically sit from their mean: the square root of the mean squared "
                          "distance to the mean.",
    "stratified": "Split so that every part keeps the classes in the same proportions as the whole data set.",
    "safetensors": "A file format holding only named arrays of numbers (the weights) and a text header: loading "
                   "one cannot run code, unlike a pickle.",
    "mlpclassifier": "scikit-learn's ready-made MLP for classification: fit(X, y) trains it (Adam by default), "
                     "predict(X) answers.",
    # Images and Convolutions
    "cnn": "Convolutional neural network: convolution layers (with pooling) that find small patterns anywhere "
           "in an image, then dense layers that decide.",
    "convolution": "Sliding one small grid of weights over the whole image and taking, at every position, the "
                   "weighted sum of the pixels under it.",
    "kernel": "The small grid of weights (here 5x5) a convolution slides over the image; also called a filter. "
              "The same weights are used at every position.",
    "feature map": "A convolution's output: one kernel's response at every position of the image, itself a "
                   "small image.",
    "pooling": "Shrinking a feature map by keeping one number per small block (here the largest of each 2x2), "
               "so a pattern moved by a pixel gives nearly the same output.",
    "receptive field": "The input pixels one unit can see: a kernel's size in the first layer, wider in each "
                       "layer after a pool.",
    "occlusion map": "Blank a small square of the image at every position and record how much the answer's "
                     "probability falls: the pixels that mattered most.",
    "saliency": "How much each input pixel matters to the network's answer.",
    "translation invariance": "Giving the same answer when the input is moved: a CNN's shared kernels and "
                              "pooling give it some; an MLP has none.",
    # Home (one neuron) and the Recap
    "weighted sum": "Each input times its weight, all added up, plus the bias: z = w·x + b, what a neuron "
                    "passes to its activation.",
    # Backprop Step by Step: from scratch
    "gradient check": "Computing the same gradients a second, independent way (here autograd) on the same "
                      "weights: hand-written backprop is right only if the two agree.",
    "relative error": "How far apart two numbers are as a share of their size: here the largest |difference| "
                      "in an array over its largest |value|.",
    # ---- Optimizers (and the Playground, the Tuner) ----
    "loss surface": "The loss over every possible value of the parameters: a landscape whose low ground is a "
                    "good fit; training walks downhill on it.",
    "pareto front": "With two goals (high accuracy, few parameters): the trials no other trial beats on both "
                    "at once; each is a different trade-off.",
}


def term(name: str) -> str:
    """One term's line (KeyError if the glossary lacks it)."""
    return TERMS[name.lower()]


def tip(*names: str, before: str = "") -> str:
    """A help tooltip: ``before`` (a widget's own hint, optional) then each term as '**term**: line'."""
    lines = [before] if before else []
    lines += [f"**{n}**: {term(n)}" for n in names]
    return "\n\n".join(lines)


def as_markdown() -> str:
    """The whole glossary as a Markdown list, alphabetical (Home's expander)."""
    return "\n".join(f"- **{k}**: {v}" for k, v in sorted(TERMS.items()))
