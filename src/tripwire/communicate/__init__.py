"""communicate"""
