"""placeholder"""
def render(results, out_dir):
    return []
