# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Convolutional networks
#
# The MLP of chapter 04 reads an MNIST digit as a list of 784 unrelated numbers. Move the digit two
# pixels to the right and, for the MLP, every input has changed; a pen stroke learned in the top-left
# corner has to be learned again for the bottom-right. Images are not like that: a pixel means
# something together with its **neighbours**, and a stroke is a stroke **wherever** it appears.
#
# A convolutional layer builds both facts in. It slides one small grid of weights, the *kernel*,
# over the image and computes the same weighted sum at every position. This chapter takes it apart:
#
# 1. what a convolution layer computes;
# 2. why deep learning's "convolution" is really a cross-correlation;
# 3. padding, stride and dilation, and the formula for the output size;
# 4. **im2col**, the trick that turns a whole convolution into one matrix product (it is how
#    `minidl.nn.functional.conv2d` works);
# 5. pooling, and where its gradient goes;
# 6. the convolution explorer widget;
# 7. the LeNet-style network of the articles, trained on MNIST, with its learned filters;
# 8. a small CNN on CIFAR-10 colour photos.
#
# Then four exercises: the output size, im2col, a convolution written with loops, and the
# backward pass of max pooling.

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

import minidl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.data import DataLoader, TensorDataset
from minidl.datasets import CIFAR10, MNIST
from minidl.exercises.cnns import check_conv2d_loops, check_conv_output_size, check_im2col, check_max_pool_backward
from minidl.ops import windows
from widgets import ConvExplorer

_ = minidl.manual_seed(0)  # weights, random inputs and shuffles repeat from run to run

# %% [markdown]
# ## Why a small shared kernel?
#
# The first layer of the network trained below turns a $1 \times 28 \times 28$ image into 6 maps of
# $24 \times 24$ values. A `Linear` layer with the same inputs and outputs would connect every pixel to
# every output; the convolution connects each output to a $5 \times 5$ patch only, and uses the same
# 25 weights (per map) at every position.

# %%
conv = nn.Conv2d(1, 6, kernel_size=5)
dense = nn.Linear(28 * 28, 6 * 24 * 24)
for name, layer in [("Conv2d(1, 6, 5)", conv), ("Linear(784, 3456)", dense)]:
    print(f"{name:18} {sum(p.numel() for p in layer.parameters()):>9,} parameters")
print("same output shape:", conv(minidl.zeros(1, 1, 28, 28)).shape)

# %% [markdown]
# 156 against 2.7 million: the convolution can only detect *local* patterns, and it detects the same
# pattern everywhere. Both restrictions are what we want for images. The second has a name:
# **translation equivariance**. Shift the input and the output maps shift with it.
#
# ## 1. What a convolution layer computes
#
# Take one grey image $x$ and one $k \times k$ kernel $w$. Output pixel $(r, c)$ is the sum of the
# kernel's weights times the pixels under it when its top-left corner sits on input pixel $(r, c)$:
#
# $$y[r, c] = b + \sum_{i=0}^{k-1} \sum_{j=0}^{k-1} w[i, j]\; x[r + i,\, c + j].$$
#
# Real layers take $N$ images with $C$ channels each (3 for colour, or the maps of the previous
# layer) and produce $O$ output channels, one kernel of shape $C \times k \times k$ per output channel.
# With a stride $s$ (section 3) the window moves $s$ pixels at a time:
#
# $$\text{out}[n, o, r, c] = b[o] + \sum_{m=0}^{C-1} \sum_{i=0}^{k-1} \sum_{j=0}^{k-1}
#   W[o, m, i, j]\; x[n, m,\, rs + i,\, cs + j].$$
#
# The weights have shape $(O, C, k, k)$, as in `nn.Conv2d(C, O, k).weight`. Here is the first formula
# computed by hand on a $5 \times 5$ image, next to minidl's `F.conv2d`:

# %%
x = minidl.tensor(np.arange(25.0).reshape(1, 1, 5, 5))  # (N, C, H, W) = (1, 1, 5, 5): 0, 1, ..., 24
w = minidl.tensor([[[[-1.0, 0.0, 1.0],
                     [-2.0, 0.0, 2.0],
                     [-1.0, 0.0, 1.0]]]])               # (O, C, k, k) = (1, 1, 3, 3)

image, kernel = x.numpy()[0, 0], w.numpy()[0, 0]
by_hand = np.zeros((3, 3))
for r in range(3):
    for c in range(3):
        by_hand[r, c] = (kernel * image[r : r + 3, c : c + 3]).sum()

print(by_hand)
print(F.conv2d(x, w).numpy()[0, 0])
assert np.allclose(by_hand, F.conv2d(x, w).numpy()[0, 0])

# %% [markdown]
# This kernel (called Sobel x) takes each window's right column minus its left column, weighting the
# middle row twice: it measures how brightness changes from left to right. The image grows by 1 per
# column, so in every window the right column exceeds the left one by 2, and every output is
# $2 \times (1 + 2 + 1) = 8$. Different kernels pick out different things. Below, four classic
# hand-made kernels run over an MNIST digit (`padding=1` keeps the output at $28 \times 28$; section 3
# explains). Red is positive, blue negative.

# %%
digits = MNIST(train=False, subset="small")
digit, label = digits[0]  # a (1, 28, 28) float32 Tensor in [0, 1], and its label
kernels = {
    "vertical edges\n(Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges\n(Sobel y)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "Laplacian\n(fine detail)": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "3 x 3 box blur": np.full((3, 3), 1 / 9),
}
fig, axes = plt.subplots(1, 5, figsize=(11, 2.6))
axes[0].imshow(digit.numpy()[0], cmap="gray")
axes[0].set_title(f"input (a {label})")
for ax, (name, k) in zip(axes[1:], kernels.items()):
    response = F.conv2d(digit.reshape(1, 1, 28, 28), minidl.tensor([[k]], dtype=minidl.float32), padding=1)
    response = response.numpy()[0, 0]
    limit = np.abs(response).max()
    ax.imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(name, fontsize=9)
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# The vertical-edge kernel is positive where the stroke begins (dark to bright, going right) and
# negative where it ends; the horizontal one does the same going down. A CNN does not get these
# kernels from us: it starts from random ones and **learns** whichever help it classify. We will look
# at what LeNet learned in section 7.
#
# ## 2. Convolution or cross-correlation?
#
# The formula above slides the kernel as it is. In mathematics and signal processing, that operation
# is called **cross-correlation**, $x \star w$. The **convolution** $x * w$ of the textbooks flips the
# kernel first:
#
# $$(x * w)[r, c] = \sum_{i, j} w[i, j]\; x[r - i,\, c - j],$$
#
# which, on the positions where the kernel fits, is the cross-correlation with the kernel rotated by
# 180°. NumPy has both in one dimension: `np.correlate` slides, `np.convolve` flips.

# %%
signal = np.array([0.0, 1.0, 3.0, 2.0, 5.0, 4.0])
k1 = np.array([1.0, 0.0, -2.0])  # not symmetric, so the flip shows


def conv2d_1d(values, kernel):
    """minidl's conv2d on a 1 x len image with a 1 x len(kernel) kernel."""
    return F.conv2d(minidl.tensor(values.reshape(1, 1, 1, -1)), minidl.tensor(kernel.reshape(1, 1, 1, -1)))


print("np.correlate            ", np.correlate(signal, k1, mode="valid"))
print("F.conv2d                ", conv2d_1d(signal, k1).numpy().ravel())
print("np.convolve             ", np.convolve(signal, k1, mode="valid"))
print("F.conv2d, flipped kernel", conv2d_1d(signal, k1[::-1]).numpy().ravel())
assert np.allclose(conv2d_1d(signal, k1).numpy().ravel(), np.correlate(signal, k1, mode="valid"))
assert np.allclose(conv2d_1d(signal, k1[::-1]).numpy().ravel(), np.convolve(signal, k1, mode="valid"))

# %% [markdown]
# So `conv2d` in minidl, and in PyTorch and TensorFlow alike, is a cross-correlation. Nobody flips,
# because nothing is lost: the kernel is *learned*, and if a network needs the flipped kernel, it learns
# the flipped kernel. The flip matters only when you copy a kernel from a signal-processing text, or
# compare with a library that really convolves (`scipy.signal.convolve2d`, `np.convolve`). The name
# "convolution" stuck anyway. (The flip does come back in the backward pass: the gradient of a
# cross-correlation with respect to its input is a true convolution of the output gradient with the same
# kernel.)
#
# ## 3. Padding, stride, dilation, and the output size
#
# Three settings decide *where* the windows go:
#
# - **padding** $p$: $p$ rows and columns of zeros are added around the image. Without it, an output
#   shrinks by $k - 1$ at every layer (at stride 1), and border pixels are seen by fewer windows than
#   central ones. With $p = (k - 1)/2$ (odd $k$, stride 1) the output keeps the input's size: "same" padding.
# - **stride** $s$: the window moves $s$ pixels at a time, so the output is about $s$ times smaller in
#   each direction: a cheap way to downsample.
# - **dilation** $d$: the kernel's taps are $d$ pixels apart, so a $k \times k$ kernel spans
#   $d(k-1) + 1$ pixels: a wider view for the same $k^2$ weights.
#
# Count the windows along one side. The padded side has $H + 2p$ pixels; a window spans
# $d(k-1) + 1$ of them, so its first pixel can sit at $0, s, 2s, \dots$ as long as it is at most
# $H + 2p - d(k-1) - 1$. That gives
#
# $$H_\text{out} = \left\lfloor \frac{H + 2p - d(k-1) - 1}{s} \right\rfloor + 1,
# \qquad\text{and with } d = 1:\qquad
# H_\text{out} = \left\lfloor \frac{H + 2p - k}{s} \right\rfloor + 1.$$
#
# The same formula, with $W$, gives the width. The floor drops a window that would stick out of the
# padded image: those last pixels are simply never used. The picture shows one row of pixels (padding
# in grey) and every window below it, its taps as dots:

# %%
def draw_windows(ax, size, k, s=1, p=0, d=1):
    """A row of `size` pixels padded by p on each side, and below it every window that fits."""
    span = d * (k - 1) + 1
    count = (size + 2 * p - span) // s + 1
    for position in range(size + 2 * p):
        padding = position < p or position >= size + p
        ax.add_patch(Rectangle((position, 0), 1, 1, facecolor="0.8" if padding else "white", edgecolor="black"))
        if not padding:  # the pixel's index in the unpadded row
            ax.text(position + 0.5, 0.5, position - p, ha="center", va="center", fontsize=8)
    for n in range(count):
        height = -0.5 - 0.45 * n
        ax.plot([n * s + 0.5, n * s + span - 0.5], [height, height], color=f"C{n % 10}", linewidth=1)
        ax.plot(n * s + 0.5 + d * np.arange(k), [height] * k, "o", color=f"C{n % 10}", markersize=4)
    ax.set_xlim(-0.2, size + 2 * p + 0.2)
    ax.set_ylim(-0.5 - 0.45 * count, 1.1)
    ax.set_title(f"H={size}, k={k}, s={s}, p={p}, d={d}:  floor(({size} + {2 * p} - {span})/{s}) + 1 = {count}",
                 fontsize=9, loc="left")
    ax.axis("off")


settings = [dict(size=7, k=3), dict(size=7, k=3, p=1), dict(size=8, k=3, s=2), dict(size=9, k=3, d=2)]
fig, axes = plt.subplots(2, 2, figsize=(10, 4.6))
for ax, setting in zip(axes.ravel(), settings):
    draw_windows(ax, **setting)
plt.show()

# %% [markdown]
# Top left, no padding: 7 pixels give 5 windows. Top right, "same" padding: 7 windows. Bottom left,
# stride 2 on 8 pixels: windows start at 0, 2 and 4; one starting at 6 would need pixel 8, which does
# not exist, so the last pixel is never read. Bottom right, dilation 2: each window spans 5 pixels.
#
# > **A warning about a formula you may meet.** Some articles print the output size as
# > $(H + 2p - s)/k + 1$, with the **stride and the kernel size swapped**. It is wrong: LeNet's first
# > layer ($H = 28$, $k = 5$, $s = 1$, $p = 0$) makes 24 x 24 maps, not $(28 - 1)/5 + 1 = 6.4$. The
# > mistake survives because, for the most common pooling layer, $k = s = 2$, both versions agree.
#
# minidl's `conv2d` computes its output size with the right formula. Let us check both versions
# against the shapes it actually produces:

# %%
cases = [  # (H, k, s, p, d)
    (28, 5, 1, 0, 1),  # LeNet's conv1
    (12, 5, 1, 0, 1),  # LeNet's conv2
    (32, 3, 1, 1, 1),  # "same" padding
    (32, 3, 2, 1, 1),  # stride 2 halves the size
    (11, 4, 3, 0, 1),  # the floor drops the last pixel
    (28, 3, 1, 2, 2),  # dilation 2 with padding 2 keeps the size
    (24, 2, 2, 0, 1),  # 2 x 2 pooling: k = s, where the swapped formula agrees
]
print(" H  k  s  p  d | conv2d | right formula | swapped k and s")
for H, k, s, p, d in cases:
    out = F.conv2d(minidl.zeros(1, 1, H, H), minidl.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
    right = (H + 2 * p - d * (k - 1) - 1) // s + 1
    swapped = (H + 2 * p - s) / k + 1
    print(f"{H:2} {k:2} {s:2} {p:2} {d:2} | {out.shape[-1]:6} | {right:13} | {swapped:15.2f}")
    assert out.shape[-2:] == (right, right)

# %% [markdown]
# ## 4. im2col: a convolution as one matrix product
#
# The loops of section 1 are slow in Python: a batch of 64 MNIST images through LeNet's first layer is
# $64 \times 6 \times 24 \times 24 = 221{,}184$ small dot products. **im2col** ("image to columns")
# rearranges the work so that one large matrix product does it all:
#
# 1. copy every window of the (padded) image into a **column**: for $C$ channels and a $k \times k$
#    kernel, a column has $C k^2$ entries, ordered channel, then kernel row, then kernel column. With
#    $H_\text{out} W_\text{out}$ windows, the columns form a $(C k^2) \times (H_\text{out} W_\text{out})$
#    matrix;
# 2. flatten each output channel's kernel into a **row** of $C k^2$ weights, in the same order: the
#    weights become an $O \times C k^2$ matrix, which is just `weight.reshape(O, -1)`;
# 3. multiply. Entry $(o, \text{window})$ of the product is the sum of kernel $o$'s weights times that
#    window's pixels, which is exactly the convolution's output. Reshape it to $O \times H_\text{out}
#    \times W_\text{out}$.
#
# minidl's `windows.im2col` does step 1 (read `minidl/ops/windows.py`: it cuts all windows out of a
# strided view of the image, without a Python loop over positions). On a $4 \times 4$ image whose
# pixels are numbered 0 to 15, a $3 \times 3$ kernel fits in 4 places, so there are 4 columns of 9:

# %%
tiny = minidl.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
columns = windows.im2col(tiny, windows.window(kernel_size=3))  # (N, C*k*k, OH*OW)
print("image:\n", tiny.numpy()[0, 0])
print("columns", columns.shape, ":\n", columns.numpy()[0])

# %% [markdown]
# Column 0 is the top-left window, pixels 0, 1, 2 / 4, 5, 6 / 8, 9, 10, read row by row; column 1 is
# the window one step to the right, and so on. Now the convolution is the product of the flattened
# kernel and these columns:

# %%
kernel3 = minidl.tensor(np.array([[[[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]]]))  # Sobel x again
row = kernel3.reshape(1, -1)  # (O, C*k*k) = (1, 9)
product = row @ columns  # (1, 1, 4): one value per window
print("weights as a row:", row.numpy().ravel())
print("row @ columns, as 2 x 2:\n", product.reshape(2, 2).numpy())
print("F.conv2d:\n", F.conv2d(tiny, kernel3).numpy()[0, 0])
assert np.allclose(product.reshape(2, 2).numpy(), F.conv2d(tiny, kernel3).numpy()[0, 0])

# %% [markdown]
# The same holds for a batch, several channels, padding and a stride: the columns get taller ($C k^2$),
# there are more of them, and the weight matrix gets more rows. This is literally the body of
# `minidl.nn.functional.conv2d`:

# %%
x = minidl.randn(2, 3, 9, 9)  # 2 images, 3 channels
weight, bias = minidl.randn(4, 3, 3, 3), minidl.randn(4)  # 4 output channels, 3 x 3 kernels
where = windows.window(kernel_size=3, stride=2, padding=1)
columns = windows.im2col(x, where)  # (2, 27, 25): 27 = 3 * 3 * 3, 25 = 5 * 5 windows
out = (weight.reshape(4, -1) @ columns).reshape(2, 4, 5, 5) + bias.reshape(1, 4, 1, 1)
print("columns:", columns.shape, "  output:", out.shape)
assert np.allclose(out.numpy(), F.conv2d(x, weight, bias, stride=2, padding=1).numpy(), atol=1e-5)

# %% [markdown]
# Why is this faster, when it copies every pixel up to $k^2$ times (for LeNet's first layer the columns
# take 18 times the memory of the images)? Because a matrix product is the best-optimized routine in
# numerical computing (BLAS: cache blocking, vector instructions, several cores), while the loops pay
# Python's overhead at every window. Trading memory for one big matmul is how most frameworks ran
# convolutions on CPUs and GPUs for years.
#
# The backward pass follows from the parts. `matmul` and `reshape` have their usual gradients, and the
# gradient of `im2col` is **col2im**: each column's gradient is added back onto the pixels its window
# came from, and where windows overlap, the contributions add up. Autograd records the convolution as
# exactly these ops, listed from the output back as backward visits them (the `add` is the bias):

# %%
x_needs_grad = minidl.randn(1, 1, 5, 5, requires_grad=True)
print([f.label for f in minidl.walk(F.conv2d(x_needs_grad, weight[:, :1], bias))])

# %% [markdown]
# ## 5. Pooling, and where its gradient goes
#
# A **pooling** layer shrinks each map by summarizing every window with a single number, with no
# weights to learn: **max pooling** keeps the largest value, **average pooling** the mean. The usual
# $2 \times 2$ window with stride 2 halves height and width (the output-size formula again, with
# $k = s = 2$). Pooling makes the next layers cheaper and gives a little tolerance to small shifts: the
# maximum of a window stays the same if the strongest response moves within it.
#
# The gradients are very different. An average is $\frac{1}{k^2}\sum x$, so every input of a window
# gets $\frac{1}{k^2}$ of the window's gradient. A maximum depends only on the winning input:
#
# $$\frac{\partial\, \max(x_1, \dots, x_{k^2})}{\partial x_i} =
# \begin{cases} 1 & \text{if } x_i \text{ is the maximum} \\ 0 & \text{otherwise,} \end{cases}$$
#
# so the whole gradient flows back to one pixel per window (the first one, if several tie), and the
# others get nothing. Here is a $4 \times 4$ map through both, with a gradient of 1 for every output:

# %%
x = minidl.tensor([[[[1.0, 3.0, 2.0, 0.0],
                     [4.0, 2.0, 1.0, 1.0],
                     [0.0, 1.0, 5.0, 6.0],
                     [2.0, 1.0, 7.0, 3.0]]]], requires_grad=True)
for pool in (F.max_pool2d, F.avg_pool2d):
    x.grad = None
    out = pool(x, kernel_size=2)
    out.sum().backward()  # d sum / d out = 1 for every output
    print(f"{pool.__name__}: output\n{out.numpy()[0, 0]}\ngradient reaching x\n{x.grad.numpy()[0, 0]}\n")

# %% [markdown]
# Max pooling sent each window's 1 to its winner (the 4, the two 2s and the 7); average pooling gave
# every pixel a quarter. minidl finds the winners in the
# forward pass and keeps their positions for the backward pass (`minidl/ops/pooling.py`). When windows
# overlap ($s < k$), one pixel can win several windows, and then it receives the **sum** of their
# gradients. Below, the 9 in the middle wins all four $3 \times 3$ windows of a $5 \times 5$ map at stride 2:

# %%
x = minidl.tensor(np.pad([[9.0]], 2).reshape(1, 1, 5, 5), requires_grad=True)
F.max_pool2d(x, kernel_size=3, stride=2).sum().backward()
print(x.grad.numpy()[0, 0])
assert x.grad.numpy()[0, 0, 2, 2] == 4

# %% [markdown]
# ## 6. The convolution explorer
#
# `ConvExplorer` runs minidl's `conv2d` on an MNIST digit and shows the padded input with the current
# window (red box) and its taps (red dots), the kernel with its weights, and the output with the pixel
# that window produces. Below the picture, the output-size formula is filled in with the current numbers.
# Things to try:
#
# - move the **window** slider and watch which input pixels make which output pixel;
# - set **stride** 2 or 3, and check the output size against the formula; find a setting where the floor
#   throws away the last rows;
# - set **dilation** 2: the taps spread out, the output shrinks, and a `padding` of 2 brings it back to 28;
# - choose the Laplacian or the blurs, and compare with the pictures in section 1;
# - make the kernel span more than the padded image (a blur, kernel size 9, dilation 4: it spans 33
#   pixels): no window fits, and the widget shows the error that minidl raises.

# %% tags=["nbval-ignore-output"]
ConvExplorer(digit, preset="edge: Sobel x")

# %% [markdown]
# ## 7. LeNet on MNIST
#
# The articles' network is a small version of LeNet-5 (LeCun et al., 1998): two stages of
# convolution, ReLU and $2 \times 2$ max pooling, then three linear layers. Written with minidl, it is the
# articles' PyTorch code with `torch` replaced by `minidl`:

# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(minidl.relu(self.conv1(x)))
        x = self.pool(minidl.relu(self.conv2(x)))
        x = x.view(-1, 16 * 4 * 4)
        x = minidl.relu(self.fc1(x))
        x = minidl.relu(self.fc2(x))
        x = self.fc3(x)
        return x


minidl.manual_seed(0)
net = Net()
table = nn.summary(net, (1, 28, 28))

# %% [markdown]
# Where does `16 * 4 * 4` come from? Follow the side of the maps through the output-size formula:
# conv1 ($k = 5$) takes 28 to $28 - 5 + 1 = 24$, pooling halves it to 12, conv2 takes 12 to 8, pooling
# to 4. After conv2 there are 16 channels, so `fc1` receives $16 \times 4 \times 4 = 256$ features. For
# $32 \times 32$ images the same arithmetic gives $16 \times 5 \times 5$: this number depends on the input
# size, which is why the `view` line is the first to break when the images change. Most parameters sit in
# `fc1`; the two convolutions together have fewer than 2,600.

# %%
side = 28
for name, k, s in [("conv1", 5, 1), ("pool", 2, 2), ("conv2", 5, 1), ("pool", 2, 2)]:
    side = (side - k) // s + 1
    print(f"after {name}: {side} x {side}")
print("features into fc1:", 16 * side * side)
assert net.conv2(net.pool(net.conv1(minidl.zeros(1, 1, 28, 28)))).shape == (1, 16, 8, 8)
assert 16 * side * side == net.fc1.in_features

# %% [markdown]
# We train on the MNIST subset that comes with minidl (6,000 training and 1,000 test images) with the
# articles' loop: cross-entropy, and SGD with momentum 0.9. The articles use a learning rate of 0.001;
# on this small subset, in batches of 64, that would need many more epochs, and 0.01 gets there in a
# few. The test accuracy is measured the articles' way: no graph (`no_grad`), the class with the
# largest output, and a count of the matches.
#
# (The numbers this cell prints are not compared by the notebook tests: floating-point sums round a
# little differently on different processors, and after hundreds of steps the losses and accuracies
# differ in their last digits. The `assert` checks what matters.)

# %% tags=["nbval-ignore-output"]
trainloader = DataLoader(MNIST(train=True, subset="small"), batch_size=64, shuffle=True)
testloader = DataLoader(MNIST(train=False, subset="small"), batch_size=500)
initial_filters = net.conv1.weight.numpy().copy()


def evaluate(net, testloader):
    correct = 0
    total = 0
    with minidl.no_grad():
        for images, labels in testloader:
            outputs = net(images)
            _, predicted = minidl.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return correct / total


criterion = nn.CrossEntropyLoss()
optimizer = minidl.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
for epoch in range(8):
    running_loss = 0.0
    for inputs, labels in trainloader:
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    accuracy = evaluate(net, testloader)
    mean_loss = running_loss / len(trainloader)
    print(f"epoch {epoch + 1}: mean training loss {mean_loss:.3f}, test accuracy {accuracy:.1%}")

assert accuracy > 0.9, accuracy  # chance is 10%

# %% [markdown]
# About 95% on digits it has never seen, after eight passes over 6,000 images: a few seconds of training.
# The accuracy still wobbles by a point or two from one epoch to the next: with so few images, each
# epoch's last steps leave their mark.
# With all 60,000 training images and the same loop, this network passes 98.5% in three epochs
# (`python examples/mnist_lenet.py`).
#
# ### What LeNet learned
#
# The first layer's six $5 \times 5$ kernels can be shown as images: before training (random, as
# initialized) and after, each on its own colour scale, with how much it moved from its start. Below
# them, the six maps the trained kernels produce from one test digit (after the ReLU, so negative
# responses are cut to 0).

# %%
x = digit.reshape(1, 1, 28, 28)
with minidl.no_grad():
    maps1 = minidl.relu(net.conv1(x))
    maps2 = minidl.relu(net.conv2(net.pool(maps1)))
learned = net.conv1.weight.numpy()

change = np.linalg.norm((learned - initial_filters).reshape(6, -1), axis=1) / np.linalg.norm(
    initial_filters.reshape(6, -1), axis=1)  # how far each kernel moved, relative to its start

fig, axes = plt.subplots(3, 7, figsize=(10, 4.8))
for row, (filters, title) in enumerate([(initial_filters, "before\ntraining"), (learned, "after\ntraining")]):
    axes[row, 0].text(0.5, 0.5, f"conv1 kernels\n{title}", ha="center", va="center", fontsize=9)
    for i in range(6):
        limit = np.abs(filters[i, 0]).max()  # each kernel on its own scale: red > 0, blue < 0
        axes[row, i + 1].imshow(filters[i, 0], cmap="RdBu_r", vmin=-limit, vmax=limit)
        if row == 1:
            axes[row, i + 1].set_title(f"changed {change[i]:.0%}", fontsize=8)
axes[2, 0].imshow(x.numpy()[0, 0], cmap="gray")
for i in range(6):
    axes[2, i + 1].imshow(maps1.numpy()[0, i], cmap="gray")
    axes[2, i + 1].set_title(f"map {i}", fontsize=8)
for ax in axes.ravel():
    ax.axis("off")
plt.show()

# %% [markdown]
# Training moved some kernels far from their random start and left others nearly where they began:
# with 6,000 images and a few epochs, the network made do with the kernels that were useful early. The
# ones that moved have grown smooth regions of one sign, blobs and bars of positive weights beside
# negative ones: detectors of strokes of a given thickness and direction, learned without anyone telling
# the network what a stroke is. In the maps, some kernels give a blurred copy of the whole digit, while
# others answer only to one edge of a stroke, or to one direction, such as the horizontal bar of the 7.
#
# The second layer combines these six maps into 16 maps of $8 \times 8$. Each of their pixels sees a
# $14 \times 14$ patch of the input (5 pixels of conv1, widened by the pooling and conv2's 5 taps at
# stride 2: $5 + 1 + 4 \times 2 = 14$), so they respond to larger parts of the digit: the top bar, the
# diagonal, the corner where the two meet.

# %%
fig, axes = plt.subplots(2, 8, figsize=(10, 2.8))
for i, ax in enumerate(axes.ravel()):
    ax.imshow(maps2.numpy()[0, i], cmap="gray")
    ax.set_title(f"conv2 map {i}", fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# The convolution explorer takes a model too: its first `Conv2d`'s kernels join the menu as
# "learned: conv1[0]" to "learned: conv1[5]". Below, it starts on the kernel that changed most in
# training; slide it over the digit, pick the others, and compare with the maps above (the explorer leaves
# out the bias and the ReLU, so it shows negative responses too).

# %% tags=["nbval-ignore-output"]
most_changed = int(change.argmax())
ConvExplorer(digit, model=net, preset=f"learned: conv1[{most_changed}]")

# %% [markdown]
# ## 8. A small CNN on CIFAR-10
#
# CIFAR-10 has $32 \times 32$ colour photos of ten kinds of object: planes, cars, birds, cats, deer,
# dogs, frogs, horses, ships and trucks. It is much harder than MNIST: the object can be anywhere, at any
# size and angle, on any background, and many classes look alike at this resolution. minidl comes with
# 4,000 training and 1,000 test images of it.
#
# The input now has 3 channels, so each first-layer kernel is $3 \times 3 \times 3$. We standardize each
# colour channel (subtract its mean over the training images, divide by its standard deviation) so that
# the inputs are centred around 0, and keep the images in a `TensorDataset` for fast batches.

# %%
cifar_train, cifar_test = CIFAR10(train=True, subset="small"), CIFAR10(train=False, subset="small")
print(cifar_train, "\n", cifar_test)
mean = cifar_train.data.mean(axis=(0, 1, 2)) / 255  # one value per colour channel
std = cifar_train.data.std(axis=(0, 1, 2)) / 255


def standardized(dataset):
    """The images as float32 (N, 3, 32, 32), channel by channel standardized, with their labels."""
    images = ((dataset.data / 255 - mean) / std).transpose(0, 3, 1, 2).astype(np.float32)
    return TensorDataset(minidl.tensor(images), minidl.tensor(dataset.targets))


print("channel means", np.round(mean, 3), " standard deviations", np.round(std, 3))

# %% [markdown]
# The network is LeNet's plan with "same" padding: two stages of a $3 \times 3$ convolution with
# $p = 1$ (which keeps the size) and $2 \times 2$ pooling (which halves it), so
# $32 \to 16 \to 8$, with 16 and then 32 channels; then two linear layers. We train it with Adam
# (chapter 05) for three epochs.

# %%
minidl.manual_seed(0)
cnn = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 16 x 16 x 16
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 8 x 8
    nn.Flatten(), nn.Linear(32 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, 10),
)
assert cnn(minidl.zeros(1, 3, 32, 32)).shape == (1, 10)
print(f"{sum(p.numel() for p in cnn.parameters()):,} parameters")

# %% tags=["nbval-ignore-output"]
history = minidl.fit(
    cnn,
    DataLoader(standardized(cifar_train), batch_size=64, shuffle=True),
    nn.CrossEntropyLoss(),
    minidl.optim.Adam(cnn.parameters(), lr=2e-3),
    epochs=3,
    val_data=DataLoader(standardized(cifar_test), batch_size=500),
    progress=False,
)
for epoch, (loss, accuracy) in enumerate(zip(history["loss"], history["val_accuracy"])):
    print(f"epoch {epoch + 1}: training loss {loss:.3f}, test accuracy {accuracy:.1%}")
print(f"chance (guessing among 10 classes): 10%; this CNN: {accuracy:.1%}")
assert accuracy > 0.35, accuracy

# %% [markdown]
# About 45 to 50%, against 10% for guessing, from 4,000 small photos and three passes over them. It is
# far from what CNNs reach on all 50,000 training images (over 90% for deep ones), and the mistakes below
# show why: a tiny network that has seen a few hundred examples per class leans on colours and rough
# shapes (blue background: ship or plane?). More data, more epochs, data augmentation (random crops and
# flips: `minidl.data.transforms`) and batch normalization all help; `python examples/cifar_cnn.py` uses
# some of them. Here are the first twelve test images with the network's guess, in green when right:

# %%
test_images = standardized(cifar_test).tensors[0][:12]
with minidl.no_grad():
    guesses = cnn(test_images).argmax(dim=1).numpy()
fig, axes = plt.subplots(2, 6, figsize=(10, 3.9))
for i, ax in enumerate(axes.ravel()):
    truth = cifar_test.targets[i]
    ax.imshow(cifar_test.data[i])
    ax.set_title(f"{CIFAR10.classes[guesses[i]]}\n(is {CIFAR10.classes[truth]})", fontsize=8,
                 color="green" if guesses[i] == truth else "red")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Summary
#
# - A convolution layer slides $O$ kernels of shape $C \times k \times k$ over the image and computes the
#   same weighted sum at every position: few weights, local patterns, the same detector everywhere.
#   What deep learning calls convolution is a cross-correlation (no kernel flip); since kernels are
#   learned, the difference does not matter.
# - Along each side, $H_\text{out} = \lfloor (H + 2p - d(k-1) - 1)/s \rfloor + 1$; with $d = 1$,
#   $\lfloor (H + 2p - k)/s \rfloor + 1$. The kernel size is subtracted, the stride divides.
# - im2col copies every window into a column, so the convolution becomes `weight.reshape(O, -1) @ columns`:
#   more memory, one fast matrix product. Its gradient, col2im, adds the columns back.
# - Max pooling passes each window's gradient to the window's maximum only; average pooling spreads it
#   evenly.
# - The articles' LeNet reaches about 95% on 1,000 MNIST test digits after a few seconds of training, and
#   its first layer learns stroke detectors; a small CNN gets about 45 to 50% on CIFAR-10 from 4,000 images.
#
# The `Net` class and its training loop run unchanged in PyTorch with `minidl` replaced by `torch`, which
# is the point: you now know what happens inside `nn.Conv2d` and `nn.MaxPool2d` there too.
#
# ## Exercises
#
# Each exercise works on NumPy arrays; use `np` only (no minidl inside your function). The check below
# it runs your code on several cases against minidl's own answers and tells you what went wrong.
#
# ### Exercise 1: the output size
#
# Write `conv_output_size(H, k, s, p, d=1)`: the number of positions of a $k \times k$ kernel with
# stride $s$, padding $p$ and dilation $d$ along a side of $H$ pixels, as an `int`.

# %%
def conv_output_size(H, k, s, p, d=1):
    # Return, as an int, how many positions a k x k kernel with stride s, padding p and dilation d
    # takes along a side of H pixels (section 3 derives it).
    # BEGIN SOLUTION
    return (H + 2 * p - d * (k - 1) - 1) // s + 1
    # END SOLUTION


# %%
check_conv_output_size(conv_output_size)

# %% [markdown]
# ### Exercise 2: im2col
#
# Write `im2col(x, kernel_size, stride=1, padding=0)` for an `(N, C, H, W)` array: the windows of the
# zero-padded image as columns, an array of shape $(N, C k^2, H_\text{out} W_\text{out})$. Within a
# column, the entries go channel by channel, then kernel row by kernel row, then along the row; the
# columns go through the windows in reading order (the window of output position $(r, c)$ is column
# $r\, W_\text{out} + c$), as minidl's `windows.im2col` does. The check also multiplies
# `weight.reshape(O, -1)` by your columns and compares the result with `F.conv2d`.
#
# *Hint:* loop over the $k^2$ kernel offsets $(i, j)$, not over the windows: the pixels that offset
# sees in all windows form one strided slice of the padded image.

# %%
def im2col(x, kernel_size, stride=1, padding=0):
    # x: (N, C, H, W) array. Return an (N, C*k*k, OH*OW) array whose column r*OW + c holds the window
    # of output position (r, c) in the image padded with `padding` zeros, its entries ordered by
    # channel, then kernel row, then kernel column.
    # BEGIN SOLUTION
    n, c, h, w = x.shape
    k, s, p = kernel_size, stride, padding
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    columns = np.empty((n, c, k, k, oh, ow), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            columns[:, :, i, j] = x[:, :, i : i + s * oh : s, j : j + s * ow : s]  # offset (i, j) in every window
    return columns.reshape(n, c * k * k, oh * ow)
    # END SOLUTION


# %%
check_im2col(im2col)

# %% [markdown]
# ### Exercise 3: a convolution with loops
#
# Write `conv2d_loops(x, weight, bias=None, stride=1, padding=0)` straight from the formula of section 1:
# `x` is `(N, C, H, W)`, `weight` is `(O, C, kh, kw)` (the kernel need not be square), `bias` is `(O,)`
# or `None`; return the `(N, O, H_out, W_out)` output of the cross-correlation. Loop over the output
# positions (and whatever else you like); no im2col this time. Once it passes, time it against `F.conv2d`
# on a batch of MNIST images to see what im2col buys.

# %%
def conv2d_loops(x, weight, bias=None, stride=1, padding=0):
    # out[n, o, r, c] = bias[o] + the sum over m, i, j of
    #                   weight[o, m, i, j] * xpad[n, m, r*stride + i, c*stride + j],
    # where xpad is x with `padding` zeros around it. Do not flip the kernel: this is a cross-correlation.
    # BEGIN SOLUTION
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n, o, oh, ow))
    for r in range(oh):
        for col in range(ow):
            window = x[:, :, r * stride : r * stride + kh, col * stride : col * stride + kw]  # (N, C, kh, kw)
            out[:, :, r, col] = np.tensordot(window, weight, axes=([1, 2, 3], [1, 2, 3]))  # (N, O)
    if bias is not None:
        out += bias.reshape(1, o, 1, 1)
    return out
    # END SOLUTION


# %%
check_conv2d_loops(conv2d_loops)

# %% [markdown]
# ### Exercise 4: the backward pass of max pooling
#
# Write `max_pool_backward(x, grad_output, kernel_size, stride)`: given the input `x` `(N, C, H, W)` of a
# max pooling with square windows (no padding) and the gradient `grad_output` of the loss with respect
# to its output, return the gradient with respect to `x`. Each window's gradient goes to the position of
# the window's maximum (the first one in reading order if several tie, as `np.argmax` picks); where
# windows overlap, a pixel that wins several windows gets the sum.

# %%
def max_pool_backward(x, grad_output, kernel_size, stride):
    # Return an array shaped like x: zero everywhere except at each window's (first) maximum, where the
    # window's grad_output value is added. Windows may overlap (stride < kernel_size).
    # BEGIN SOLUTION
    grad = np.zeros_like(x)
    k, s = kernel_size, stride
    for n, c, r, col in np.ndindex(grad_output.shape):
        window = x[n, c, r * s : r * s + k, col * s : col * s + k]
        i, j = np.unravel_index(np.argmax(window), window.shape)  # the first maximum
        grad[n, c, r * s + i, col * s + j] += grad_output[n, c, r, col]
    return grad
    # END SOLUTION


# %%
check_max_pool_backward(max_pool_backward)
