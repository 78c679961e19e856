def generate(ctx):
    ctx.log("水环境：演示数据生成器尚未就绪")
