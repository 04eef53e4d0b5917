"""Citations of the optimizers in the ``zoo_*`` modules (shared by docstrings and registry)."""

from __future__ import annotations

from optzoo.registry import Reference

__all__: list[str] = []

CHEN_2023_LION = Reference(
    "Xiangning Chen, Chen Liang, Da Huang, Esteban Real, Kaiyuan Wang, Yao Liu, Hieu Pham, "
    "Xuanyi Dong, Thang Luong, Cho-Jui Hsieh, Yifeng Lu, Quoc V. Le",
    "Symbolic Discovery of Optimization Algorithms",
    2023,
    "https://arxiv.org/abs/2302.06675",
)
YOU_2020_LAMB = Reference(
    "Yang You, Jing Li, Sashank Reddi, Jonathan Hseu, Sanjiv Kumar, Srinadh Bhojanapalli, "
    "Xiaodan Song, James Demmel, Kurt Keutzer, Cho-Jui Hsieh",
    "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
    2020,
    "https://arxiv.org/abs/1904.00962",
)
YOU_2017_LARS = Reference(
    "Yang You, Igor Gitman, Boris Ginsburg",
    "Large Batch Training of Convolutional Networks",
    2017,
    "https://arxiv.org/abs/1708.03888",
)
SHAZEER_2018_ADAFACTOR = Reference(
    "Noam Shazeer, Mitchell Stern",
    "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
    2018,
    "https://arxiv.org/abs/1804.04235",
)
ZHUANG_2020_ADABELIEF = Reference(
    "Juntang Zhuang, Tommy Tang, Yifan Ding, Sekhar Tatikonda, Nicha Dvornek, "
    "Xenophon Papademetris, James S. Duncan",
    "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients",
    2020,
    "https://arxiv.org/abs/2010.07468",
)
LIU_2020_RADAM = Reference(
    "Liyuan Liu, Haoming Jiang, Pengcheng He, Weizhu Chen, Xiaodong Liu, Jianfeng Gao, Jiawei Han",
    "On the Variance of the Adaptive Learning Rate and Beyond",
    2020,
    "https://arxiv.org/abs/1908.03265",
)
XIE_2022_ADAN = Reference(
    "Xingyu Xie, Pan Zhou, Huan Li, Zhouchen Lin, Shuicheng Yan",
    "Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep Models",
    2022,
    "https://arxiv.org/abs/2208.06677",
)
ZAHEER_2018_YOGI = Reference(
    "Manzil Zaheer, Sashank Reddi, Devendra Sachan, Satyen Kale, Sanjiv Kumar",
    "Adaptive Methods for Nonconvex Optimization",
    2018,
    "https://papers.nips.cc/paper/2018/hash/90365351ccc7437a1309dc64e4db32a3-Abstract.html",
)
GINSBURG_2019_NOVOGRAD = Reference(
    "Boris Ginsburg, Patrice Castonguay, Oleksii Hrinchuk, Oleksii Kuchaiev, Vitaly Lavrukhin, "
    "Ryan Leary, Jason Li, Huyen Nguyen, Yang Zhang, Jonathan M. Cohen",
    "Stochastic Gradient Methods with Layer-wise Adaptive Moments for Training of Deep Networks",
    2019,
    "https://arxiv.org/abs/1905.11286",
)
BERNSTEIN_2018_SIGNSGD = Reference(
    "Jeremy Bernstein, Yu-Xiang Wang, Kamyar Azizzadenesheli, Anima Anandkumar",
    "signSGD: Compressed Optimisation for Non-Convex Problems",
    2018,
    "https://arxiv.org/abs/1802.04434",
)
RIEDMILLER_1993_RPROP = Reference(
    "Martin Riedmiller, Heinrich Braun",
    "A direct adaptive method for faster backpropagation learning: the RPROP algorithm",
    1993,
    "https://doi.org/10.1109/ICNN.1993.298623",
)
ANIL_2019_SM3 = Reference(
    "Rohan Anil, Vineet Gupta, Tomer Koren, Yoram Singer",
    "Memory-Efficient Adaptive Optimization",
    2019,
    "https://arxiv.org/abs/1901.11150",
)
PAGLIARDINI_2024_ADEMAMIX = Reference(
    "Matteo Pagliardini, Pierre Ablin, David Grangier",
    "The AdEMAMix Optimizer: Better, Faster, Older",
    2024,
    "https://arxiv.org/abs/2409.03137",
)
MORWANI_2024_SIMPLIFIED_ADEMAMIX = Reference(
    "Depen Morwani, Nikhil Vyas, Hanlin Zhang, Sham Kakade",
    "Connections between Schedule-Free Optimizers, AdEMAMix, and Accelerated SGD Variants",
    2025,
    "https://arxiv.org/abs/2502.02431",
)
TANIGUCHI_2024_ADOPT = Reference(
    "Shohei Taniguchi, Keno Harada, Gouki Minegishi, Yuta Oshima, Seong Cheol Jeong, "
    "Go Nagahara, Tomoshi Iiyama, Masahiro Suzuki, Yusuke Iwasawa, Yutaka Matsuo",
    "ADOPT: Modified Adam Can Converge with Any beta_2 with the Optimal Rate",
    2024,
    "https://arxiv.org/abs/2411.02853",
)
ZIYIN_2020_LAPROP = Reference(
    "Liu Ziyin, Zhikang T. Wang, Masahito Ueda",
    "LaProp: Separating Momentum and Adaptivity in Adam",
    2020,
    "https://arxiv.org/abs/2002.04839",
)
WORTSMAN_2023_STABLE_ADAMW = Reference(
    "Mitchell Wortsman, Tim Dettmers, Luke Zettlemoyer, Ari Morcos, Ali Farhadi, Ludwig Schmidt",
    "Stable and low-precision training for large-scale vision-language models",
    2023,
    "https://arxiv.org/abs/2304.13013",
)
ZHANG_2024_ADAM_MINI = Reference(
    "Yushun Zhang, Congliang Chen, Ziniu Li, Tian Ding, Chenwei Wu, Diederik P. Kingma, "
    "Yinyu Ye, Zhi-Quan Luo, Ruoyu Sun",
    "Adam-mini: Use Fewer Learning Rates To Gain More",
    2024,
    "https://arxiv.org/abs/2406.16793",
)
YUAN_2024_MARS = Reference(
    "Huizhuo Yuan, Yifeng Liu, Shuang Wu, Xun Zhou, Quanquan Gu",
    "MARS: Unleashing the Power of Variance Reduction for Training Large Models",
    2024,
    "https://arxiv.org/abs/2411.10438",
)
LUO_2023_CAME = Reference(
    "Yang Luo, Xiaozhe Ren, Zangwei Zheng, Zhuo Jiang, Xin Jiang, Yang You",
    "CAME: Confidence-guided Adaptive Memory Efficient Optimization",
    2023,
    "https://arxiv.org/abs/2307.02047",
)
CAO_2024_GRAMS = Reference(
    "Yang Cao, Xiaoyu Li, Zhao Song",
    "Grams: Gradient Descent with Adaptive Momentum Scaling",
    2024,
    "https://arxiv.org/abs/2412.17107",
)
MCMAHAN_2013_FTRL = Reference(
    "H. Brendan McMahan, Gary Holt, D. Sculley, et al.",
    "Ad Click Prediction: a View from the Trenches",
    2013,
    "https://doi.org/10.1145/2487575.2488200",
)
DEFAZIO_2021_MADGRAD = Reference(
    "Aaron Defazio, Samy Jelassi",
    "Adaptivity without Compromise: A Momentumized, Adaptive, Dual Averaged Gradient Method "
    "for Stochastic Optimization",
    2021,
    "https://arxiv.org/abs/2101.11075",
)
LUO_2019_ADABOUND = Reference(
    "Liangchen Luo, Yuanhao Xiong, Yan Liu, Xu Sun",
    "Adaptive Gradient Methods with Dynamic Bound of Learning Rate",
    2019,
    "https://arxiv.org/abs/1902.09843",
)
HEO_2021_ADAMP = Reference(
    "Byeongho Heo, Sanghyuk Chun, Seong Joon Oh, Dongyoon Han, Sangdoo Yun, Gyuwan Kim, "
    "Youngjung Uh, Jung-Woo Ha",
    "AdamP: Slowing Down the Slowdown for Momentum Optimizers on Scale-invariant Weights",
    2021,
    "https://arxiv.org/abs/2006.08217",
)
MISHCHENKO_2023_PRODIGY = Reference(
    "Konstantin Mishchenko, Aaron Defazio",
    "Prodigy: An Expeditiously Adaptive Parameter-Free Learner",
    2023,
    "https://arxiv.org/abs/2306.06101",
)
DEFAZIO_2023_DADAPT = Reference(
    "Aaron Defazio, Konstantin Mishchenko",
    "Learning-Rate-Free Learning by D-Adaptation",
    2023,
    "https://arxiv.org/abs/2301.07733",
)
IVGI_2023_DOG = Reference(
    "Maor Ivgi, Oliver Hinder, Yair Carmon",
    "DoG is SGD's Best Friend: A Parameter-Free Dynamic Step Size Schedule",
    2023,
    "https://arxiv.org/abs/2302.12022",
)
ORABONA_2017_COCOB = Reference(
    "Francesco Orabona, Tatiana Tommasi",
    "Training Deep Networks without Learning Rates Through Coin Betting",
    2017,
    "https://arxiv.org/abs/1705.07795",
)
CUTKOSKY_2023_MECHANIC = Reference(
    "Ashok Cutkosky, Aaron Defazio, Harsh Mehta",
    "Mechanic: A Learning Rate Tuner",
    2023,
    "https://arxiv.org/abs/2306.00144",
)
DEFAZIO_2024_SCHEDULE_FREE = Reference(
    "Aaron Defazio, Xingyu Alice Yang, Harsh Mehta, Konstantin Mishchenko, Ahmed Khaled, "
    "Ashok Cutkosky",
    "The Road Less Scheduled",
    2024,
    "https://arxiv.org/abs/2405.15682",
)
