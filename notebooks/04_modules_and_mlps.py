# %% [markdown]
# # 04 · Modules and MLPs
#
# In chapter 3 we fitted a linear regression with one weight tensor, and updated it by hand:
# `w -= lr * w.grad`. A real network has dozens of tensors, arranged in layers, and we want to
# hand all of them to an optimizer, save them, load them, and switch the whole network between
# training and evaluation. This chapter builds the pieces of a classifier and the container
# that holds them together:
#
# 1. **`nn.Module`**: a model as a tree of layers whose parameters are found automatically;
# 2. **`nn.Linear`**: the layer $y = x W^\top + b$, its shapes and its initialization;
# 3. **activations**: why a network needs them, and how ReLU, tanh and sigmoid differ;
# 4. **softmax and cross-entropy**: from scores to probabilities to a loss, computed without overflow;
# 5. **an MLP on MNIST**: a multi-layer perceptron that reads handwritten digits, trained first
#    with a loop we write ourselves, then with `minidl.fit` and live training curves, and
#    evaluated on test images it has never seen.
#
# The chapter ends with four exercises: you write `log_softmax`, `cross_entropy`, a `Linear`
# layer and an `MLP` class yourself.

# %%
import matplotlib.pyplot as plt
import numpy

import minidl
import minidl.nn.functional as F
from minidl import nn, optim
from minidl.data import DataLoader, random_split
from minidl.datasets import MNIST
from minidl.exercises.mlps import check_cross_entropy, check_linear, check_log_softmax, check_mlp
from widgets import GraphView, TrainingCurves

minidl.manual_seed(0)  # every random number below (weights, shuffles, dropout masks) repeats
numpy.set_printoptions(precision=4)  # NumPy arrays print rounded, as minidl's tensors do

# %% [markdown]
# ## 1. `nn.Module`: a model is a tree of parameters
#
# A model is a function with learnable numbers inside. `nn.Module` keeps the two together: the
# function is the `forward` method, the numbers are attributes. What makes it convenient is
# **registration by assignment**: `Module.__setattr__` looks at each value you assign to `self`.
#
# - an `nn.Parameter` (a tensor that `requires_grad` by default) goes into the module's parameters;
# - another `nn.Module` becomes a child, and its parameters become part of ours;
# - anything else (a number, a string, a plain list) is an ordinary attribute.
#
# Here is a network with two linear layers and one parameter of its own:

# %%
class TinyNet(nn.Module):
    """3 inputs -> 4 hidden units (ReLU) -> 2 outputs, times a learned scale."""

    def __init__(self):
        super().__init__()                           # creates the registries: always first
        self.hidden = nn.Linear(3, 4)                # a Module: registered as a child
        self.output = nn.Linear(4, 2)
        self.scale = nn.Parameter(minidl.ones(1))    # a Parameter: registered, learned
        self.description = "a tiny example"          # anything else: a plain attribute

    def forward(self, x):
        return self.output(self.hidden(x).relu()) * self.scale


net = TinyNet()
print(net)

# %% [markdown]
# Printing a module shows its tree of children. `named_parameters()` walks that tree and names
# every parameter by its path, which is how an optimizer gets all of them with one call,
# `optim.Adam(net.parameters())`:

# %%
for name, parameter in net.named_parameters():
    print(f"{name:15} shape {str(parameter.shape):8} {parameter.numel():3} numbers")
print("total:", sum(parameter.numel() for parameter in net.parameters()), "numbers to learn")

# %% [markdown]
# The same tree, seen as the computation that `forward` runs: `GraphView(net, example)` traces
# one call on an example batch of 5 inputs and draws each child module as a box around its ops,
# with its parameters (yellow) named by the same paths. Step through it to watch the values
# flow forward, then the gradients flow back into every parameter.

# %% tags=["nbval-ignore-output"]
GraphView(net, minidl.randn(5, 3))

# %% [markdown]
# Registration only sees what is assigned directly. Layers kept in a plain Python list are
# invisible: the module cannot look inside the list, so an optimizer built from `parameters()`
# would never train them. `nn.ModuleList` (or `nn.Sequential`) is a list that registers:

# %%
class Forgetful(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(3, 4), nn.Linear(4, 2)]                  # a plain list


class Careful(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(3, 4), nn.Linear(4, 2)])   # a list that registers


print("plain list:", len(list(Forgetful().parameters())), "parameters")
print("ModuleList:", len(list(Careful().parameters())), "parameters:",
      [name for name, _ in Careful().named_parameters()])

# %% [markdown]
# ### `state_dict`: the numbers, by name
#
# `state_dict()` gives every parameter (and buffer, such as batch norm's running averages) by
# its dotted name. It is what `minidl.save` writes to disk, and `load_state_dict` copies values
# back into a model of the same architecture, checking names and shapes first. Two networks
# built separately start with different random weights; after loading, they compute the same
# function:

# %%
state = net.state_dict()
print({name: value.shape for name, value in state.items()})

copy = TinyNet()
x = minidl.randn(5, 3)
print("before loading, same outputs:", numpy.allclose(copy(x).numpy(), net(x).numpy()))
copy.load_state_dict(state)
print("after loading,  same outputs:", numpy.allclose(copy(x).numpy(), net(x).numpy()))
assert numpy.allclose(copy(x).numpy(), net(x).numpy())

# %% [markdown]
# ### `train()` and `eval()`
#
# A few layers behave differently while training and while predicting. Dropout, for example,
# zeroes each of its inputs with probability $p$ during training (and scales the survivors by
# $1/(1-p)$, here 2, so the mean is kept), which stops units from relying on each other; at
# evaluation it must pass everything through. Every module carries a `training` flag, and `model.train()` / `model.eval()` set it
# on the whole tree at once:

# %%
dropout = nn.Dropout(p=0.5)
ones = minidl.ones(8)
print("training:  ", dropout.training, dropout(ones))
dropout.eval()
print("evaluation:", dropout.training, dropout(ones))

# %% [markdown]
# ## 2. `nn.Linear`: $y = x W^\top + b$
#
# A linear layer (Keras calls it `Dense`, "fully connected" elsewhere) maps `in_features`
# numbers to `out_features` numbers. For a batch $X$ of $N$ rows,
#
# $$Y = X W^\top + b, \qquad Y_{n j} = \sum_{i=1}^{\text{in}} X_{n i}\, W_{j i} + b_j,$$
#
# with $X$ of shape $(N, \text{in})$, $W$ of shape $(\text{out}, \text{in})$, $b$ of shape
# $(\text{out},)$ and $Y$ of shape $(N, \text{out})$. Row $j$ of $W$ holds the weights of output
# unit $j$: the layer is `out_features` weighted sums side by side, and broadcasting adds $b$ to
# every row of the batch. The weight is stored as (out, in), as in PyTorch, and the forward
# multiplies by its transpose.

# %%
layer = nn.Linear(3, 2)
x = minidl.randn(4, 3)
print("weight", layer.weight.shape, " bias", layer.bias.shape, " x", x.shape, " y", layer(x).shape)

by_hand = x.numpy() @ layer.weight.numpy().T + layer.bias.numpy()
print("layer(x) == x @ W.T + b:", numpy.allclose(layer(x).numpy(), by_hand, atol=1e-6))
assert numpy.allclose(layer(x).numpy(), by_hand, atol=1e-6)

# %% [markdown]
# **Initialization.** `nn.Linear` starts its weights uniform in
# $\left[-\tfrac{1}{\sqrt{\text{in}}}, \tfrac{1}{\sqrt{\text{in}}}\right]$. Why that range? An
# output is a sum of $\text{in}$ terms $x_i w_i$. With independent inputs of variance 1 and
# weights of variance $\sigma_w^2$,
#
# $$\operatorname{Var}(y) = \text{in} \cdot \sigma_w^2 ,$$
#
# so weights drawn with a fixed spread (say standard normal, $\sigma_w = 1$) make outputs whose
# size grows like $\sqrt{\text{in}}$: with 784 inputs they would be about 28 times larger than
# the inputs, and after a few layers the numbers explode. A uniform distribution on $[-a, a]$
# has variance $a^2 / 3$, so $a = 1/\sqrt{\text{in}}$ gives $\operatorname{Var}(y) = 1/3$ for
# every layer width (plus the bias's small share, $1 / (3\,\text{in})$). Measured:

# %%
print(f"{'in_features':>12} {'std of y, W ~ N(0, 1)':>24} {'std of y, nn.Linear':>21}")
for in_features in [10, 100, 1000]:
    x = minidl.randn(2000, in_features)
    default = nn.Linear(in_features, 50)
    with minidl.no_grad():
        y_default = default(x)
        y_normal = x @ minidl.randn(50, in_features).T
    print(f"{in_features:>12} {y_normal.numpy().std():>24.2f} {y_default.numpy().std():>21.2f}")

# %% [markdown]
# The layer's own initialization keeps the outputs at the same scale, $\sqrt{1/3} \approx 0.58$,
# whatever the width. (Deep ReLU networks often use a variant scaled for ReLU, which zeroes half
# of its inputs: He initialization, `nn.init.kaiming_uniform_`.)
#
# ## 3. Activations: what makes depth worth it
#
# Two linear layers in a row are still one linear layer:
# $W_2 (W_1 x + b_1) + b_2 = (W_2 W_1)\, x + (W_2 b_1 + b_2)$. However many we stack, the
# model can only draw straight lines (hyperplanes) between classes. Let us check with numbers:

# %%
first, second = nn.Linear(5, 8), nn.Linear(8, 3)
x = minidl.randn(4, 5)
W1, b1, W2, b2 = (t.detach().numpy() for t in (first.weight, first.bias, second.weight, second.bias))
merged = x.numpy() @ (W2 @ W1).T + (W2 @ b1 + b2)     # one layer with weight W2 W1 and bias W2 b1 + b2
print("two layers == one merged layer:", numpy.allclose(second(first(x)).numpy(), merged, atol=1e-5))
assert numpy.allclose(second(first(x)).numpy(), merged, atol=1e-5)

# %% [markdown]
# A non-linear function between the layers, applied element by element, breaks this collapse;
# with it, a network of two layers can approximate any continuous function on a bounded range,
# given enough hidden units. The three classic choices:
#
# | | formula | derivative |
# | --- | --- | --- |
# | ReLU | $\max(0, x)$ | $1$ if $x > 0$, else $0$ |
# | tanh | $\tanh x = \dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}}$ | $1 - \tanh^2 x$ |
# | sigmoid | $\sigma(x) = \dfrac{1}{1 + e^{-x}}$ | $\sigma(x)\,(1 - \sigma(x))$ |
#
# We do not need the derivative column to plot them: minidl's backward computes each
# derivative for us. Since $\frac{\partial}{\partial x_k} \sum_i f(x_i) = f'(x_k)$, the gradient
# of `f(x).sum()` with respect to `x` is $f'$ at every point:

# %%
activations = {"ReLU": F.relu, "tanh": F.tanh, "sigmoid": F.sigmoid}
x_axis = numpy.linspace(-4, 4, 401)
fig, axes = plt.subplots(1, 3, figsize=(10, 2.8), sharey=True)
slopes = {}
for ax, (name, function) in zip(axes, activations.items()):
    x = minidl.tensor(x_axis, requires_grad=True)
    y = function(x)
    y.sum().backward()                      # x.grad[k] = f'(x[k])
    slopes[name] = x.grad.numpy()
    ax.plot(x_axis, y.detach().numpy(), label=name)
    ax.plot(x_axis, slopes[name], "--", label="derivative")
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_title(name)
    ax.set_xlabel("x")
    ax.legend(loc="upper left", fontsize="small")
axes[0].set_ylim(-1.2, 1.6)
fig.tight_layout()
plt.show()

# %%
for name, slope in slopes.items():
    print(f"{name:8} largest derivative {slope.max():.3f}")
assert abs(slopes["sigmoid"].max() - 0.25) < 1e-3 and abs(slopes["tanh"].max() - 1) < 1e-3

# %% [markdown]
# What the picture says about training:
#
# - **sigmoid**'s derivative is at most $1/4$. Backprop multiplies the gradient by this factor at
#   every layer, so through ten sigmoid layers it shrinks at least $4^{10} \approx 10^6$ times:
#   the *vanishing gradient*. Its outputs are also all positive, which biases the next layer.
#   Today it is used at the output for yes/no probabilities, rarely inside a network.
# - **tanh** is a zero-centred sigmoid ($\tanh x = 2\sigma(2x) - 1$) with slope 1 at 0, but it
#   still *saturates*: for $|x| > 3$ the slope is nearly 0 and learning stalls.
# - **ReLU** passes the gradient unchanged (slope 1) wherever the unit is active and costs one
#   comparison. Its weak spot is the other half: a unit whose input is negative for every
#   example gets no gradient at all and may never recover (a "dead" unit). It is the default
#   for hidden layers, and what our MNIST model uses.
#
# ## 4. Softmax and cross-entropy
#
# A classifier with $C$ classes ends with a linear layer that outputs $C$ scores $z_1 \dots z_C$,
# called **logits**: any real numbers, larger meaning "more likely". **Softmax** turns them into
# probabilities:
#
# $$p_i = \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{C} e^{z_j}} .$$
#
# Every $p_i$ is positive, they sum to 1, and the order of the scores is kept. The
# **cross-entropy** loss of an example whose true class is $y$ is the negative log-probability
# the model gives to that class:
#
# $$L = -\log p_y = -z_y + \log \sum_{j} e^{z_j} .$$
#
# It is 0 when the model is certain and right ($p_y = 1$) and grows without bound when the model
# is confident and wrong ($p_y \to 0$). A model that knows nothing gives every class
# $p = 1/C$, hence a loss of $\log C$: $\log 10 \approx 2.303$ for ten digits, a useful check of
# an untrained network. And its gradient is as simple as a gradient gets:
#
# $$\frac{\partial L}{\partial z_i} = p_i - [i = y] ,$$
#
# where $[i = y]$ is 1 for the true class and 0 for the others: the predicted probabilities minus
# the one-hot target. The score of the right class is pushed up, every other score is pushed
# down in proportion to the probability it wrongly received. minidl's autograd agrees:

# %%
logits = minidl.tensor([[2.0, 1.0, 0.1]], requires_grad=True)
label = minidl.tensor([0])
probabilities = F.softmax(logits, dim=1)
loss = F.cross_entropy(logits, label)
loss.backward()
print("probabilities:", probabilities.detach().numpy(), " sum:", round(probabilities.sum().item(), 4))
print(f"loss: {loss.item():.4f} = -log p[0] = {-numpy.log(probabilities[0, 0].item()):.4f}")
print("gradient:     ", logits.grad.numpy())
print("p - one_hot:  ", probabilities.detach().numpy() - [1, 0, 0])
assert numpy.allclose(logits.grad.numpy(), probabilities.detach().numpy() - [1, 0, 0], atol=1e-6)

# %% [markdown]
# ### Why log-softmax must be computed stably
#
# The formula for softmax is fine on paper and fails on a computer. `exp` grows fast: a float32
# holds numbers up to about $3.4 \times 10^{38}$, so $e^{z}$ is already `inf` for $z > 88.7$
# (for float16, for $z > 11$). Logits that large are not exotic: a network with large weights,
# an unnormalized input or a diverging learning rate produces them. Then the sum is `inf`,
# and $\infty / \infty$ is `nan`. (NumPy warns about overflow; we silence the warning here to
# look at the values.)

# %%
big = minidl.tensor([[1000.0, 1001.0, 1002.0]])
with numpy.errstate(over="ignore", invalid="ignore"):
    exps = big.exp()
    naive_softmax = exps / exps.sum(dim=1, keepdim=True)
print("exp(z):          ", exps)
print("naive softmax(z):", naive_softmax)

# %% [markdown]
# The fix comes from a property of softmax: adding the same constant $c$ to every logit changes
# nothing, because $e^{z_i - c} / \sum_j e^{z_j - c} = e^{z_i} / \sum_j e^{z_j}$ (the factor
# $e^{-c}$ cancels). Choosing $c = m = \max_j z_j$ makes every exponent $\le 0$, so every
# exponential is at most 1 and nothing overflows; and the largest term is exactly $e^0 = 1$, so
# the sum is at least 1 and its log is finite. For the log-probabilities this gives the
# **log-sum-exp trick**:
#
# $$\log \operatorname{softmax}(z)_i = z_i - \log \sum_j e^{z_j} = (z_i - m) - \log \sum_j e^{z_j - m} .$$

# %%
m = big.max()                                # the largest logit (big has a single row)
stable = (big - m) - (big - m).exp().sum().log()
print("by hand:         ", stable)
print("F.log_softmax(z):", F.log_softmax(big, dim=1))
print("softmax(z):      ", F.softmax(big, dim=1))

# %% [markdown]
# The same values as for the logits $[0, 1, 2]$: only differences between logits matter.
#
# There is a second trap, on the other side. Even with a stable softmax, taking its log
# afterwards fails when a probability *underflows*: for $z = [-1000, 0, 1000]$ the first two
# probabilities are $e^{-2000}$ and $e^{-1000}$, which are 0 in floating point, and
# $\log 0 = -\infty$. The log-sum-exp form never computes those probabilities; it subtracts,
# and gets $-2000$ and $-1000$:

# %%
spread = minidl.tensor([[-1000.0, 0.0, 1000.0]])
with numpy.errstate(divide="ignore"):
    print("log(softmax(z)):  ", F.softmax(spread, dim=1).log())
print("log_softmax(z):   ", F.log_softmax(spread, dim=1))

# %% [markdown]
# This is why cross-entropy takes **logits**, not probabilities: `F.cross_entropy` (and
# `nn.CrossEntropyLoss`) applies `log_softmax` itself, in one stable op (`LogSoftmax` in
# `minidl/nn/functional/activation.py`, whose backward is $g - \operatorname{softmax}(z)
# \sum_i g_i$). So a classifier ends with a plain linear layer, and no softmax layer, as in
# PyTorch; Keras reaches the same place with `from_logits=True`. minidl's loss stays finite
# where the naive formula fails:

# %%
labels = minidl.tensor([0, 2])
huge = minidl.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
with numpy.errstate(over="ignore", divide="ignore", invalid="ignore"):
    naive = -(huge.exp() / huge.exp().sum(dim=1, keepdim=True)).log()[minidl.arange(2), labels].mean()
stable_loss = F.cross_entropy(huge, labels)
print(f"naive cross-entropy:   {naive.item()}")
print(f"F.cross_entropy:       {stable_loss.item():.4f}")
assert numpy.isfinite(stable_loss.item())
assert abs(stable_loss.item() - F.cross_entropy(huge - 1000, labels).item()) < 1e-4   # only differences matter

# %% [markdown]
# ## 5. The data: handwritten digits
#
# MNIST holds 28 × 28 grey images of the digits 0 to 9. minidl ships a real subset of it, the
# first 6,000 training and 1,000 test images, so this chapter needs no download. Each sample
# is a float32 tensor of shape (1, 28, 28) with values in [0, 1] (0 is black) and its label.

# %%
train_set = MNIST(subset="small", train=True)
test_set = MNIST(subset="small", train=False)
image, label = train_set[0]
print(train_set, test_set, sep="\n")
print("one image:", image.shape, image.dtype, f"values in [{image.min().item():.0f}, {image.max().item():.0f}]",
      " label:", label)

# %%
fig, axes = plt.subplots(2, 10, figsize=(10, 2.4))
for index, ax in enumerate(axes.flat):
    image, label = train_set[index]
    ax.imshow(image[0].numpy(), cmap="gray_r")
    ax.set_title(label, fontsize=10)
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# We keep the test images for the very end, and cut a **validation** set of 1,000 images out
# of the training set (Keras' `validation_split` does the same): those we look at while
# training, to choose settings, and a test set we never tuned anything on gives an honest final
# score. A `DataLoader` cuts a dataset into shuffled batches of 64.

# %%
train_part, val_part = random_split(train_set, [5000, 1000])
train_loader = DataLoader(train_part, batch_size=64, shuffle=True)
val_loader = DataLoader(val_part, batch_size=500)
test_loader = DataLoader(test_set, batch_size=500)
images, labels = next(iter(train_loader))
print(train_loader)
print("one batch:", images.shape, labels.shape, labels.dtype)

# %% [markdown]
# ## 6. The model: a multi-layer perceptron
#
# A classic Keras tutorial builds this classifier as follows:
#
# ```python
# model = keras.models.Sequential([
#     keras.layers.Dense(10, activation='relu', input_shape=(784,)),
#     keras.layers.Dense(10)
# ])
# model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
# model.fit(x_train, y_train, epochs=10)
# loss, accuracy = model.evaluate(x_test, y_test)
# ```
#
# In minidl each piece has a name you have now met:
#
# | Keras | minidl |
# | --- | --- |
# | `Sequential([...])` | `nn.Sequential(...)`, a module whose `forward` calls its children in turn |
# | `Dense(n, activation='relu')` | `nn.Linear(in, n)` then `nn.ReLU()` |
# | `input_shape=(784,)` | `nn.Flatten()`: (N, 1, 28, 28) images to (N, 784) rows |
# | `loss='sparse_categorical_crossentropy'` | `nn.CrossEntropyLoss()`, on logits and integer labels |
# | `optimizer='adam'` | `optim.Adam(model.parameters(), lr=...)` |
# | `fit`, `evaluate` | `minidl.fit`, `minidl.evaluate`, or the loop below |
#
# We give the hidden layer 256 units instead of 10: ten units squeeze each image through ten
# numbers, and cost accuracy. The last layer outputs ten logits, one per digit, with no softmax,
# for the reasons of section 4. (That is also a bug in the tutorial as written: its last layer
# gives logits, but Keras' cross-entropy expects probabilities unless told
# `SparseCategoricalCrossentropy(from_logits=True)`.)

# %%
def make_model():
    return nn.Sequential(
        nn.Flatten(),            # (N, 1, 28, 28) -> (N, 784)
        nn.Linear(784, 256),     # 784 pixels -> 256 hidden units
        nn.ReLU(),
        nn.Linear(256, 10),      # 256 hidden units -> 10 logits, one per digit
    )


minidl.manual_seed(1)
model = make_model()
print(model)
print(nn.summary(model, (1, 28, 28), print_table=False))

# %% [markdown]
# Over 200,000 numbers to learn, almost all in the first layer's $256 \times 784$ weight. Before
# any training, the loss should be close to $\log 10 \approx 2.303$, the loss of a uniform
# guess; a value far from it would point to a bug (or a bad initialization) before we waste
# time training:

# %%
with minidl.no_grad():
    untrained_loss = F.cross_entropy(model(images), labels).item()
print(f"untrained loss {untrained_loss:.3f}, log(10) = {numpy.log(10):.3f}")
assert abs(untrained_loss - numpy.log(10)) < 0.3

# %% [markdown]
# ## 7. Training by hand
#
# One training step is five lines, and every framework's step is the same five lines:
#
# 1. `optimizer.zero_grad()`: forget the previous batch's gradients. `backward` *adds* into
#    `.grad` (that is what lets a parameter used twice collect both contributions), so without
#    this each step would follow the sum of all past gradients;
# 2. `logits = model(images)`: the forward pass, which records the graph;
# 3. `loss = F.cross_entropy(logits, labels)`: one number, the mean loss of the batch;
# 4. `loss.backward()`: $\partial\, \text{loss} / \partial \theta$ into every parameter's `.grad`;
# 5. `optimizer.step()`: move every parameter a little against its gradient (Adam's rule,
#    the subject of chapter 5).
#
# An **epoch** is one pass over the training set: 79 batches here. After each, we measure the
# accuracy on the validation set with `minidl.evaluate`, which switches the model to `eval()`
# and turns off the graph (`no_grad`) while it predicts.

# %%
optimizer = optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(5):
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in train_loader:
        optimizer.zero_grad()
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(labels)
        correct += (logits.argmax(dim=1) == labels).sum().item()
        seen += len(labels)
    validation = minidl.evaluate(model, val_loader)
    print(f"epoch {epoch + 1}: loss {total_loss / seen:.3f}, train accuracy {correct / seen:.1%}, "
          f"validation accuracy {validation['accuracy']:.1%}")

# %% [markdown]
# The training numbers are means over the epoch, measured on each batch just before its step,
# so they lag a little behind the model at the end of the epoch.
#
# ## 8. The same with `minidl.fit`, and live curves
#
# `minidl.fit` is that loop (read it in `minidl/training.py`) plus the bookkeeping: per-epoch
# means, a validation pass, and **callbacks**, objects whose methods it calls after every batch
# and epoch. `TrainingCurves` is one: it draws the loss and accuracy live while the model
# trains, every step as a faint line, every epoch's mean as a dot, and validation in orange. We
# train a fresh model for 10 epochs:

# %% tags=["nbval-ignore-output"]
minidl.manual_seed(1)
model = make_model()
curves = TrainingCurves()
history = minidl.fit(model, train_loader, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=2e-3),
                     epochs=10, val_data=val_loader, callbacks=[curves], progress=False)

# %% [markdown]
# `fit` returns a `History` with one value per epoch of each metric, the numbers behind the
# curves' dots. Its first five epochs are exactly those of our own loop: the same seed gives the
# same initial weights and the same shuffles, and `fit` takes the same steps, because it *is*
# that loop.

# %%
print("epoch   loss  accuracy  val_loss  val_accuracy")
for epoch in history.epoch:
    print(f"{epoch + 1:5} {history['loss'][epoch]:6.3f} {history['accuracy'][epoch]:9.1%} "
          f"{history['val_loss'][epoch]:9.3f} {history['val_accuracy'][epoch]:13.1%}")
print("lowest validation loss after epoch", curves.history.best_epoch() + 1)

# %% [markdown]
# Read the curves from left to right. The training loss keeps falling, and the training accuracy
# climbs close to 100%: with 200,000 parameters and 5,000 images, the network can learn the
# training set almost by heart. The validation loss falls only during the first few epochs, then
# stops improving and wobbles (the dotted line marks its best epoch), and the validation accuracy
# stays several points below the training accuracy. That widening gap is **overfitting**:
# learning details of the training images that do not carry over to new ones. More data,
# dropout (section 1) or weight decay (chapter 5) narrow it; keeping the weights of the best
# validation epoch is the simplest remedy.
#
# ## 9. How good is it? The test set
#
# Now, and only now, the test images: 1,000 digits neither the training nor our choices have
# seen.

# %%
test = minidl.evaluate(model, test_loader, loss=nn.CrossEntropyLoss())
print(f"test loss {test['loss']:.3f}, test accuracy {test['accuracy']:.1%}")
assert test["accuracy"] >= 0.90

# %% [markdown]
# More than 9 digits in 10, from a model that is two matrix multiplications and a ReLU. Which
# digits does it get wrong? A **confusion matrix** counts, for every true class (row), how often
# each class was predicted (column): the diagonal holds the right answers, everything off it is
# a mistake, and *which* cell tells us which digits the model mixes up.

# %%
model.eval()
with minidl.no_grad():
    test_images, test_labels = next(iter(DataLoader(test_set, batch_size=len(test_set))))
    test_probabilities = F.softmax(model(test_images), dim=1).numpy()
predictions = test_probabilities.argmax(axis=1)
truth = test_labels.numpy()

confusion = numpy.zeros((10, 10), dtype=int)
numpy.add.at(confusion, (truth, predictions), 1)      # one count per (true, predicted) pair

fig, ax = plt.subplots(figsize=(5, 4.4))
ax.imshow(confusion, cmap="Blues")
for true_class in range(10):
    for predicted in range(10):
        count = confusion[true_class, predicted]
        if count:
            color = "white" if count > confusion.max() / 2 else "black"
            ax.text(predicted, true_class, count, ha="center", va="center", fontsize=8, color=color)
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted digit")
ax.set_ylabel("true digit")
ax.set_title("confusion matrix, 1,000 test images")
fig.tight_layout()
plt.show()

# %%
per_class = confusion.diagonal() / confusion.sum(axis=1)
for digit in range(10):
    print(f"digit {digit}: {per_class[digit]:6.1%} right, of {confusion[digit].sum():3} test images")
mistakes = confusion - numpy.diag(confusion.diagonal())
true_class, predicted = numpy.unravel_index(mistakes.argmax(), mistakes.shape)
print(f"most frequent mistake: true {true_class}, predicted {predicted}, {mistakes.max()} times")
assert confusion.sum() == len(test_set) and numpy.isclose(numpy.trace(confusion) / len(test_set), test["accuracy"])

# %% [markdown]
# Finally, the mistakes themselves, the most confident first: above each image its true label,
# what the model said, and the probability it gave to its (wrong) answer.

# %%
wrong = numpy.flatnonzero(predictions != truth)
wrong = wrong[numpy.argsort(-test_probabilities[wrong, predictions[wrong]], kind="stable")]
fig, axes = plt.subplots(2, 8, figsize=(10, 3.2))
for ax, index in zip(axes.flat, wrong):
    ax.imshow(test_images[index, 0].numpy(), cmap="gray_r")
    confidence = test_probabilities[index, predictions[index]]
    ax.set_title(f"true {truth[index]}\nsaid {predictions[index]} ({confidence:.0%})", fontsize=9)
    ax.axis("off")
fig.tight_layout()
plt.show()
print(len(wrong), "test images misclassified")

# %% [markdown]
# Some of these a person would hesitate over too; others are clear digits, drawn thicker,
# thinner or slanted in a way the training images did not show. Note also how sure the model is
# of some wrong answers: a softmax output is a score that sums to 1, not a calibrated measure of
# how often the model is right. An MLP treats the image as a
# list of 784 unrelated numbers: it does not know that neighbouring pixels belong together, and
# a digit moved two pixels to the right is, for it, a different input altogether. Convolutional
# networks (chapter 6) build that knowledge in, and do markedly better on images.
#
# ## Summary
#
# - An `nn.Module` holds parameters and sub-modules, registered by assignment; `parameters()`,
#   `state_dict()`, `train()` and `eval()` walk the whole tree.
# - `nn.Linear` computes $x W^\top + b$ with $W$ of shape (out, in), initialized uniform in
#   $\pm 1/\sqrt{\text{in}}$ so that outputs keep their scale.
# - Without a non-linear activation, stacked linear layers collapse into one; ReLU is the default
#   for hidden layers, sigmoid and tanh saturate.
# - A classifier outputs logits; cross-entropy is $-\log \operatorname{softmax}(z)_y$, computed
#   with the log-sum-exp trick, and its gradient is $p - \text{one\_hot}(y)$.
# - Training is five lines repeated: zero_grad, forward, loss, backward, step. `minidl.fit` runs
#   them with metrics and callbacks; the test set is looked at once, at the end.
#
# Next, chapter 5 opens `optimizer.step()`: SGD, momentum, Adam and their relatives.
#
# ## Exercises
#
# Each exercise gives a task in a code cell: replace `raise NotImplementedError()` with your code
# and run the check below it, which tries your code on several cases and tells you what it
# expected when something differs.
#
# ### Exercise 1: a stable `log_softmax`
#
# Write `log_softmax(x)`: the log of the softmax of `x` along its **last** dimension, for a
# Tensor of shape (C,) (one sample) or (N, C) (a batch). It must stay finite for logits such as
# 1000 or -1000 (section 4), and use minidl operations only, so that gradients flow through it.
# In a batch, each row needs its own maximum: `x.max(dim=-1, keepdim=True).values` gives them,
# with shape (N, 1) so that they broadcast against `x`.

# %%
def log_softmax(x):
    """log(softmax(x)) along the last dimension, finite for any finite logits."""
    # Task: return log(softmax(x)) along dim=-1 with the log-sum-exp trick of section 4,
    # each row (each sample) shifted by its own largest logit. minidl ops only.
    # BEGIN SOLUTION
    shifted = x - x.max(dim=-1, keepdim=True).values
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()
    # END SOLUTION


# %%
check_log_softmax(log_softmax)

# %% [markdown]
# ### Exercise 2: cross-entropy from log-probabilities
#
# Write `cross_entropy(logits, labels)`: the mean over the batch of $-\log \operatorname{softmax}
# (z_n)_{y_n}$, for logits of shape (N, C) and integer labels of shape (N,). Use
# `F.log_softmax(logits, dim=-1)` for the log-probabilities, then pick in row $n$ the entry at
# column `labels[n]`. Indexing with two tensors pairs them up element by element:
# `t[minidl.arange(N), labels]` is `[t[0, labels[0]], t[1, labels[1]], ...]`.

# %%
def cross_entropy(logits, labels):
    """Mean over the batch of -log_softmax(logits)[n, labels[n]]."""
    # Task: compute the log-probabilities with F.log_softmax, pick each row's entry at its
    # label, and return minus their mean (a 0-d Tensor).
    # BEGIN SOLUTION
    log_probabilities = F.log_softmax(logits, dim=-1)
    picked = log_probabilities[minidl.arange(len(labels)), labels]
    return -picked.mean()
    # END SOLUTION


# %%
check_cross_entropy(cross_entropy)

# %% [markdown]
# ### Exercise 3: your own `Linear` layer
#
# Write `MyLinear(in_features, out_features)`, a subclass of `nn.Module` that works like
# `nn.Linear`: a parameter `weight` of shape (out_features, in_features) and a parameter `bias`
# of shape (out_features,), both drawn uniform in $[-b, b]$ with $b = 1/\sqrt{\text{in\_features}}$,
# and a `forward(x)` that returns $x W^\top + b$. Register them so that `named_parameters()`
# finds them. `minidl.rand(*shape)` draws uniformly from $[0, 1)$.

# %%
class MyLinear(nn.Module):
    """y = x @ weight.T + bias, with weight (out_features, in_features), uniform in +-1/sqrt(in_features)."""

    def __init__(self, in_features, out_features):
        # Task: call super().__init__(), then create self.weight and self.bias as nn.Parameter
        # objects of the right shapes, uniform in [-b, b] with b = in_features ** -0.5.
        # BEGIN SOLUTION
        super().__init__()
        bound = in_features ** -0.5
        self.weight = nn.Parameter(minidl.rand(out_features, in_features) * 2 * bound - bound)
        self.bias = nn.Parameter(minidl.rand(out_features) * 2 * bound - bound)
        # END SOLUTION

    def forward(self, x):
        # Task: return x @ W^T + b.
        # BEGIN SOLUTION
        return x @ self.weight.T + self.bias
        # END SOLUTION


# %%
check_linear(MyLinear)

# %% [markdown]
# ### Exercise 4: an MLP of any depth
#
# Write `MLP(sizes)`, an `nn.Module` that chains one `nn.Linear(sizes[i], sizes[i + 1])` for
# each pair of neighbouring sizes, with an `nn.ReLU()` between two layers but none after the
# last (the model returns logits). `MLP([784, 256, 10])` is the network of section 6, without
# its `nn.Flatten`; `MLP([784, 10])` is a single linear layer. Keep the layers where the module
# can see them: an `nn.Sequential` built from a list, `nn.Sequential(*layers)`, does it.

# %%
class MLP(nn.Module):
    """Linear layers of the given sizes with ReLU between them: MLP([784, 256, 10])."""

    def __init__(self, sizes):
        # Task: call super().__init__(), then build and register the layers.
        # BEGIN SOLUTION
        super().__init__()
        layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.layers = nn.Sequential(*layers[:-1])    # no ReLU after the last layer
        # END SOLUTION

    def forward(self, x):
        # Task: return the logits for a batch x of shape (N, sizes[0]).
        # BEGIN SOLUTION
        return self.layers(x)
        # END SOLUTION


# %%
check_mlp(MLP)
